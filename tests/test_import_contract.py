"""The app graph runs one way (pyproject.toml [tool.importlinter]): the contract holds on the
tree as it is, and breaks as soon as a lower app imports a higher one."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(where / "pyproject.toml"), "--no-cache"],
        cwd=where,
        env={"PYTHONPATH": str(where), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "guanjia", tmp_path / "guanjia", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contract_holds_and_fails_on_an_upward_import(tmp_path):
    tree = copy_of_the_tree(tmp_path)
    kept = lint_imports(tree)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "0 broken" in kept.stdout

    # The registry (estates) reaching up into billing: the contract names the arrow.
    (tree / "guanjia" / "estates" / "upward.py").write_text("from guanjia.billing import models  # noqa\n")
    broken = lint_imports(tree)
    assert broken.returncode != 0
    assert "guanjia.estates is not allowed to import guanjia.billing" in broken.stdout
    assert "guanjia.estates.upward -> guanjia.billing.models" in broken.stdout


def test_an_action_that_imports_its_jobs_breaks_the_contract(tmp_path):
    tree = copy_of_the_tree(tmp_path)
    actions = tree / "guanjia" / "billing" / "actions"
    target = actions / "__init__.py" if actions.is_dir() else tree / "guanjia" / "billing" / "actions.py"
    target.write_text(target.read_text(encoding="utf-8") + "\nfrom guanjia.billing import tasks  # noqa\n")
    broken = lint_imports(tree)
    assert broken.returncode != 0
    assert "guanjia.billing.actions is not allowed to import guanjia.billing.tasks" in broken.stdout

"""The embedded setup's secrets (issue 11, item 2): the first run makes them at random into a
file under var/ that only its owner can read, later runs read the same file, the environment
overrides each one, and production takes them only from the environment and refuses any
that is missing or was ever printed in the source."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from config import local_secrets

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("DJANGO_SECRET_KEY", "GUANJIA_GATEWAY_SECRET", "GUANJIA_FIELD_KEYS", "GUANJIA_FIELD_INDEX_KEY")
# What the embedded setup once used, readable by anyone in the source.
OLD_PUBLIC_SECRET_KEY = "dev-only-not-secret-guanjia-key"
OLD_PUBLIC_GATEWAY_SECRET = "guanjia-development-gateway-secret"

SHOW_SETTINGS = """
import json, os
os.umask(int(os.environ.get("TEST_UMASK", "0o22"), 8))
import config.settings as s
print(json.dumps({
    "DJANGO_SECRET_KEY": s.SECRET_KEY,
    "GUANJIA_GATEWAY_SECRET": s.BILLING_GATEWAY_SECRET,
    "GUANJIA_FIELD_KEYS": ",".join(s.GUANJIA_FIELD_KEYS),
    "GUANJIA_FIELD_INDEX_KEY": s.GUANJIA_FIELD_INDEX_KEY,
}))
"""


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment of a fresh `make run`: none of our variables set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUANJIA_", "HUEY_"))}
    env.update(extra)
    return env


def settings_in(var_dir: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env=clean_environment(GUANJIA_VAR_DIR=str(var_dir), **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def secrets_in(var_dir: Path, **extra: str) -> dict[str, str]:
    result = settings_in(var_dir, **extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_first_run_makes_random_secrets_only_the_owner_can_read(tmp_path):
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    # A umask of 0 would leave a plainly created file readable by everyone.
    first = secrets_in(first_dir, TEST_UMASK="0")
    stored = first_dir / local_secrets.FILE_NAME
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert json.loads(stored.read_text()) == first
    assert set(first) == set(NAMES)
    for name, value in first.items():
        assert len(value) >= 32, name
        assert value not in {OLD_PUBLIC_SECRET_KEY, OLD_PUBLIC_GATEWAY_SECRET}, name
    assert len(set(first.values())) == len(NAMES)  # four different secrets, none made from another
    # Later runs read the same file; another machine (another var/) gets other secrets.
    assert secrets_in(first_dir) == first
    second = secrets_in(second_dir)
    assert all(second[name] != first[name] for name in NAMES)
    # Nothing else lies about in var/ (the temporary file is gone).
    assert sorted(path.name for path in first_dir.iterdir()) == [local_secrets.FILE_NAME]


def test_the_environment_overrides_the_file(tmp_path):
    stored = secrets_in(tmp_path)
    given = secrets_in(tmp_path, DJANGO_SECRET_KEY="k" * 50, GUANJIA_GATEWAY_SECRET="g" * 40)
    assert given["DJANGO_SECRET_KEY"] == "k" * 50
    assert given["GUANJIA_GATEWAY_SECRET"] == "g" * 40
    assert given["GUANJIA_FIELD_KEYS"] == stored["GUANJIA_FIELD_KEYS"]


def test_with_every_secret_in_the_environment_no_file_is_made(tmp_path):
    given = local_secrets.generate()
    assert secrets_in(tmp_path, **given) == given
    assert not (tmp_path / local_secrets.FILE_NAME).exists()


def test_a_secrets_file_others_can_read_is_refused(tmp_path):
    secrets_in(tmp_path)
    (tmp_path / local_secrets.FILE_NAME).chmod(0o644)
    result = settings_in(tmp_path)
    assert result.returncode != 0
    assert "chmod 600" in result.stderr


def test_the_old_public_values_are_refused_everywhere(tmp_path):
    for name, value in (
        ("DJANGO_SECRET_KEY", OLD_PUBLIC_SECRET_KEY),
        ("GUANJIA_GATEWAY_SECRET", OLD_PUBLIC_GATEWAY_SECRET),
    ):
        result = settings_in(tmp_path, **{name: value})
        assert result.returncode != 0
        assert name in result.stderr


def test_many_processes_starting_at_once_share_one_set_of_secrets(tmp_path):
    """gunicorn's workers and the job worker start together on the first `make run`."""
    results: list[dict[str, str]] = []

    def start() -> None:
        results.append(local_secrets.read_or_create(tmp_path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert all(result == results[0] for result in results)
    assert sorted(path.name for path in tmp_path.iterdir()) == [local_secrets.FILE_NAME]


def test_generated_secrets_are_random():
    made = [local_secrets.generate() for _ in range(20)]
    for name in NAMES:
        assert len({secrets[name] for secrets in made}) == 20, name


def production_environment(**overrides: str) -> dict[str, str]:
    env = clean_environment(
        DJANGO_SETTINGS_MODULE="config.settings",
        GUANJIA_PRODUCTION="1",
        DJANGO_ALLOWED_HOSTS="guanjia.example.com",
    )
    env.update(local_secrets.generate())
    env.update(overrides)
    return {k: v for k, v in env.items() if v}


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, "") for name in NAMES]
    + [("DJANGO_SECRET_KEY", OLD_PUBLIC_SECRET_KEY), ("GUANJIA_GATEWAY_SECRET", OLD_PUBLIC_GATEWAY_SECRET)],
)
def test_production_refuses_to_start_with_a_missing_or_public_secret(tmp_path, name, value):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=production_environment(GUANJIA_VAR_DIR=str(tmp_path), **{name: value}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert name in result.stderr
    assert not (tmp_path / local_secrets.FILE_NAME).exists()  # production never makes its own


def test_production_starts_with_every_secret_given(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=production_environment(GUANJIA_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / local_secrets.FILE_NAME).exists()

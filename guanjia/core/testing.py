"""Test helpers: run the real huey consumer against the test database.

    @pytest.mark.django_db(transaction=True)
    def test_import_runs_in_the_background(client):
        with run_worker() as worker:
            ...                      # enqueue work through a view or an action
            wait_for(lambda: Job.objects.get(pk=job_id).finished, worker=worker)

The worker is a subprocess (`manage.py run_huey`), so it only sees rows that the test has
committed: use `django_db(transaction=True)`, which on SQLite also puts the test on a file
copy of the in-memory test database (tests/support.py). It is pointed at the very database
and huey queue the test process uses; both are per-process in config/settings_test.py, so
they are handed over explicitly in the environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from huey.contrib.djhuey import HUEY

MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"


def database_url() -> str:
    """A DATABASE_URL for the database this process is connected to (the test database)."""
    data = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(data["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise RuntimeError(
                "A worker subprocess needs a file-backed SQLite test database: "
                "mark the test django_db(transaction=True)."
            )
        return "sqlite:///" + str(Path(name).resolve())
    if connection.vendor == "postgresql":
        credentials = quote(data.get("USER") or "", safe="")
        if data.get("PASSWORD"):
            credentials += ":" + quote(data["PASSWORD"], safe="")
        host = data.get("HOST") or "localhost"
        port = f":{data['PORT']}" if data.get("PORT") else ""
        at = "@" if credentials else ""
        return f"postgres://{credentials}{at}{host}{port}/{quote(data['NAME'], safe='')}"
    raise RuntimeError(f"run_worker does not know how to share a {connection.vendor} database.")


def worker_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_XDIST_WORKER", None)  # the worker keeps the queue and database handed to it here
    env["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    env["DATABASE_URL"] = database_url()
    env["HUEY_IMMEDIATE"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    env["GUANJIA_MEDIA_ROOT"] = str(settings.MEDIA_ROOT)  # the files the test's own process sees
    huey: dict[str, Any] = settings.HUEY if isinstance(settings.HUEY, dict) else {}
    for setting, variable in (("url", "HUEY_REDIS_URL"), ("filename", "HUEY_SQLITE_PATH"), ("name", "HUEY_NAME")):
        if huey.get(setting):
            env[variable] = str(huey[setting])
    return env


class Worker:
    def __init__(self, process: subprocess.Popen, log_path: str):
        self.process = process
        self.log_path = log_path

    def output(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"The huey worker exited with {self.process.returncode}:\n{self.output()}")


@contextmanager
def run_worker(*, workers: int = 1, flush: bool = True) -> Iterator[Worker]:
    """Start `manage.py run_huey` on the test database and stop it on exit."""
    was_immediate = HUEY.immediate
    # Immediate mode would run tasks inside the test process and never reach the worker.
    HUEY.immediate = False
    if flush and type(HUEY).__name__ == "SqliteHuey":
        # The queue file belongs to this test process; tasks that earlier tests enqueued
        # (for rows long rolled back) must not reach this worker.
        HUEY.flush()
    log = tempfile.NamedTemporaryFile(prefix="guanjia-worker-", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        sys.executable,
        str(MANAGE_PY),
        "run_huey",
        "--workers",
        str(workers),
        "--worker-type",
        "thread",
        "--delay",
        "0.1",
        "--max-delay",
        "1",
    ]
    process = subprocess.Popen(
        command, cwd=str(settings.BASE_DIR), env=worker_environment(), stdout=log, stderr=subprocess.STDOUT
    )
    worker = Worker(process, log.name)
    try:
        yield worker
    finally:
        stop(process)
        log.close()
        if os.environ.get("GUANJIA_KEEP_WORKER_LOG") != "1":
            os.unlink(log.name)
        HUEY.immediate = was_immediate


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    # SIGINT is the consumer's graceful stop: it finishes the task at hand, then exits.
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float = 60,
    interval: float = 0.2,
    worker: Worker | None = None,
    message: str = "",
) -> object:
    """Call `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if worker is not None:
            worker.check_alive()
        if time.monotonic() > deadline:
            log = worker.output() if worker is not None else ""
            raise AssertionError(f"Timed out after {timeout}s waiting for {message or condition}.\n{log}")
        time.sleep(interval)

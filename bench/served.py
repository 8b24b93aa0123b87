"""The production server for the API benchmarks: scripts/serve.sh on a free port (gunicorn
with its workers, the huey worker beside it) on the bench database, and a plain HTTP call
with a bearer token, one new connection per request as gunicorn's sync workers close each."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(port: int, method: str, path: str, token: str, body: bytes | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Host": "localhost"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def start_server(port: int, log: Path) -> subprocess.Popen:
    """scripts/serve.sh itself, with jobs queued for the worker as in production (not run
    inline as the bench process runs them)."""
    env = dict(os.environ)
    env.pop("HUEY_IMMEDIATE", None)
    env.setdefault("HUEY_SQLITE_PATH", str(Path(tempfile.gettempdir()) / f"guanjia-bench-{port}.sqlite3"))
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    return subprocess.Popen(
        [str(ROOT / "scripts" / "serve.sh"), "127.0.0.1", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, stopped as a whole at the end
    )


def wait_until_up(port: int, token: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode}); see its log")
        try:
            if call(port, "GET", "/api/v1/me", token) == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not answer within 90 s")


@contextmanager
def served(token: str, name: str) -> Iterator[int]:
    """The server up on a free port (answering GET /api/v1/me with `token`) for the block;
    stopped with its worker afterwards. Yields the port."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"guanjia-bench-{name}-{port}.log"
    server = start_server(port, log)
    try:
        wait_until_up(port, token, server)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

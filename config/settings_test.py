"""Test settings: the same file, fast hashing, huey in a throwaway file and secrets of the run.
On SQLite the test database is in memory; the tests that commit for a worker subprocess, the
live server or racing threads to see get a file copy of it (tests/support.py, SqliteDatabases)."""

import os
import tempfile
from pathlib import Path

# Huey's queue belongs to this test process (each pytest-xdist worker is one), on SQLite and on
# Redis alike. A huey worker subprocess started by a test is handed the test's own queue
# (guanjia/core/testing.py) and keeps it.
if "PYTEST_XDIST_WORKER" in os.environ or "HUEY_SQLITE_PATH" not in os.environ:
    os.environ["HUEY_SQLITE_PATH"] = os.path.join(tempfile.gettempdir(), f"guanjia-test-huey-{os.getpid()}.sqlite3")
if "PYTEST_XDIST_WORKER" in os.environ or "HUEY_NAME" not in os.environ:
    os.environ["HUEY_NAME"] = f"guanjia-test-{os.getpid()}"

# Secrets of this test run, made at random (config/local_secrets.py), so that the tests need no
# var/secrets.json and share no key with a development database. They go into the environment
# so that a worker subprocess started by a test reads what the test wrote with the same keys.
from config import local_secrets  # noqa: E402

for _name, _value in local_secrets.generate().items():
    os.environ.setdefault(_name, _value)

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test process keeps its own counters (rate limits), cleared by the tests that count.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="guanjia-media-"))
# Serve static files straight from the source folders: no collectstatic before tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

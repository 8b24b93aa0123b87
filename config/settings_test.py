"""Test settings: the same file, with a file-backed test database so that a real worker
subprocess can see what the test wrote, fast hashing, and huey in a throwaway file."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault(
    "HUEY_SQLITE_PATH", os.path.join(tempfile.gettempdir(), f"guanjia-test-huey-{os.getpid()}.sqlite3")
)

from config.settings import *  # noqa: E402,F403
from config.settings import DATABASES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="guanjia-media-"))
# Serve static files straight from the source folders: no collectstatic before tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

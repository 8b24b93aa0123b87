import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """A MEDIA_ROOT of the test's own, so that the photos a test writes are its own to count."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def fingerprint(db):
    """fingerprint() -> a snapshot of the database and media files (tests/conftest.py)."""
    from tests.conftest import database_fingerprint

    return database_fingerprint

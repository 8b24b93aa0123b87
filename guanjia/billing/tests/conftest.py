import pytest

from tests.conftest import database_fingerprint


@pytest.fixture
def fingerprint(db, settings, tmp_path):
    """fingerprint() -> every row a request could change (and the files under a MEDIA_ROOT
    of the test's own), to compare before and after."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return database_fingerprint

import pytest


@pytest.fixture
def fingerprint(db):
    """fingerprint() -> a snapshot of the database and media files (tests/conftest.py)."""
    from tests.conftest import database_fingerprint

    return database_fingerprint

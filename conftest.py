"""Fixtures every suite can call on: the fixed cast, signed-in clients, a MEDIA_ROOT of the
test's own, the "nothing changed" check, the test database's place and the browser. The
helpers behind them live in tests/support.py; import from there, never from a conftest."""

import pytest

from tests import support

SQLITE = support.SqliteDatabases()


@pytest.fixture
def cast(db) -> support.Cast:
    return support.make_cast()


@pytest.fixture
def client_as(client, cast):
    """client_as("butler") -> a test client signed in as that member of the cast."""

    def sign_in(role: str):
        client.force_login(cast.user(role))
        return client

    return sign_in


@pytest.fixture(scope="session")
def media_roots(tmp_path_factory) -> support.MediaRoots:
    return support.MediaRoots(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def media_root(settings, media_roots):
    """A MEDIA_ROOT of the test's own, so that the files a test writes are its own to count
    (the folder is made when the test first stores a file, and removed after the test)."""
    root = media_roots.new()
    settings.MEDIA_ROOT = root
    yield root
    media_roots.remove(root)


@pytest.fixture
def unchanged(db, media_root):
    """`with unchanged(): ...` fails if the block wrote a row of the database (signing in
    aside) or a file under MEDIA_ROOT: what a refused request or action must not do."""
    return support.unchanged


@pytest.fixture
def test_database_place(request, django_db_setup):
    """SQLite: the in-memory test database, or its file copy for a test that commits for
    another process or thread to see (support.SqliteDatabases). Set up before any other
    fixture of a test that uses the database (pytest_collection_modifyitems below)."""
    SQLITE.use_for(request.node)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole test session; each test opens browser contexts of its own."""
    with support.chromium() as chromium:
        yield chromium


def pytest_collection_modifyitems(items):
    for item in items:
        if support.uses_database(item):
            item.fixturenames.insert(0, "test_database_place")
        # Pages in a real browser: what they check does not depend on the database server, so
        # CI runs them on SQLite only (`-m "not browser"` on PostgreSQL, .ci/run).
        if "browser" in item.fixturenames:
            item.add_marker(pytest.mark.browser)


def pytest_sessionfinish(session):
    SQLITE.close()

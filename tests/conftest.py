"""Fixtures of the cross-cutting suites in tests/: the access matrix, the masking checks and
the browser tests. The fixed cast, the "nothing changed" check and the browser live in the
root conftest."""

import pytest


@pytest.fixture
def live_cast(transactional_db, cast):
    """The cast, committed, for tests that run a live server in another thread. Asking for
    transactional_db first makes the `db` fixture behind `cast` transactional too."""
    return cast

"""Fixtures shared by the cross-cutting suites in tests/: the access matrix, the masking
checks and the browser test. The fixed cast itself lives in the root conftest."""

import os
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls
# from a thread with a running loop unless told that this is intended.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# Every row of these apps is part of the fingerprint: the registry, the owner archive,
# logins and postings, the audit trail (core.Change), the reveal log (PersonalDataRead),
# the custody ledger, requests and bills.
FINGERPRINT_APPS = ("core", "estates", "people", "accounts", "frontdesk", "servicedesk", "billing", "notifications")


def database_fingerprint() -> dict:
    """The whole state a request could change: every row of every model of
    FINGERPRINT_APPS (auto-created join tables included), in primary-key order, and the
    names of the files in MEDIA_ROOT (attachments)."""
    snapshot: dict = {}
    # Raw SQL: the same rows as the ORM would give, without its per-query cost, which ran to
    # most of an access-matrix test's time.
    with connection.cursor() as cursor:
        for table, key in fingerprint_tables():
            cursor.execute(f"SELECT * FROM {table} ORDER BY {key}")  # noqa: S608 — names from the models
            snapshot[table] = cursor.fetchall()
    media = Path(settings.MEDIA_ROOT)
    snapshot["media files"] = sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())
    return snapshot


@cache
def fingerprint_tables() -> list[tuple[str, str]]:
    quote = connection.ops.quote_name
    return [
        (quote(model._meta.db_table), quote(model._meta.pk.column))
        for label in FINGERPRINT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]


@pytest.fixture
def fingerprint(db):
    """fingerprint() -> a snapshot of the database to compare before and after a request."""
    return database_fingerprint


@pytest.fixture
def live_cast(transactional_db, cast):
    """The cast, committed, for tests that run a live server in another thread. Asking for
    transactional_db first makes the `db` fixture behind `cast` transactional too."""
    return cast

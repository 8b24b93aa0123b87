"""Test helpers shared by every suite: the fixed cast, the "nothing was written" check and
the browser. The conftest files only declare fixtures that call these; tests import from
here, never from a conftest.

The fixed cast: home estate 翠湖苑 has zones A (the butler's) and B; the owner 张三 lives in
1-1-1201 in zone A; 李四 lives in 2-1-0801 in zone B. The outsider is a butler of another
estate, 云栖苑, where 王五 lives. Everyone's password is PASSWORD.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection

PASSWORD = "correct-horse-battery"
ROLES = ["manager", "head_butler", "butler", "assistant", "finance", "owner", "outsider"]


# The fixed cast --------------------------------------------------------------------------


@dataclass
class Cast:
    estate: Any
    other_estate: Any
    zone_a: Any
    zone_b: Any
    unit_a: Any
    unit_b: Any
    other_unit: Any
    owner_person: Any
    neighbour: Any
    stranger: Any
    manager: Any
    head_butler: Any
    butler: Any
    assistant: Any
    finance: Any
    owner: Any
    outsider: Any

    def user(self, role: str) -> Any:
        return getattr(self, role)


def make_staff(username: str, name: str, estate: Any, post: str) -> Any:
    from guanjia.accounts.tests.factories import PostingFactory, UserFactory

    user = UserFactory(username=username, display_name=name)
    PostingFactory(user=user, estate=estate, post=post)
    return user


def make_cast() -> Cast:
    """The cast, written to the database."""
    from guanjia.accounts.tests.factories import UserFactory
    from guanjia.core.roles import Post
    from guanjia.estates.models import Unit
    from guanjia.estates.tests.factories import (
        BuildingFactory,
        CompanyFactory,
        EstateFactory,
        UnitFactory,
        ZoneFactory,
    )
    from guanjia.people.tests.factories import PersonFactory, ResidencyFactory, valid_id_number

    company = CompanyFactory(name="安居物业", code="anju")
    estate = EstateFactory(company=company, name="翠湖苑", code="cuihu")
    other_estate = EstateFactory(company=company, name="云栖苑", code="yunqi", kind="villa")
    butler = make_staff("butler", "周管家", estate, Post.BUTLER)
    zone_a = ZoneFactory(estate=estate, code="A", name="A区", butler=butler)
    zone_b = ZoneFactory(estate=estate, code="B", name="B区")
    building1 = BuildingFactory(estate=estate, code="1")
    building2 = BuildingFactory(estate=estate, code="2")
    unit_a = UnitFactory(building=building1, entrance="1", number="1201", floor=12, zone=zone_a)
    unit_b = UnitFactory(building=building2, entrance="1", number="0801", floor=8, zone=zone_b, area=Decimal("120.00"))
    other_building = BuildingFactory(estate=other_estate, code="A")
    other_unit = UnitFactory(
        building=other_building,
        entrance="",
        number="08",
        floor=1,
        house_type=Unit.HouseType.VILLA,
        area=Decimal("320.00"),
    )
    owner_person = PersonFactory(estate=estate, name="张三", phone="13812341234", id_number=valid_id_number(11))
    neighbour = PersonFactory(estate=estate, name="李四", phone="13987655678", id_number=valid_id_number(12))
    stranger = PersonFactory(estate=other_estate, name="王五", phone="13700007777", id_number=valid_id_number(13))
    ResidencyFactory(person=owner_person, unit=unit_a)
    ResidencyFactory(person=neighbour, unit=unit_b)
    ResidencyFactory(person=stranger, unit=other_unit)
    owner = UserFactory(username="owner", display_name="张三", person=owner_person)
    outsider = make_staff("outsider", "外区管家", other_estate, Post.BUTLER)
    ZoneFactory(estate=other_estate, code="A", name="别墅区", butler=outsider)
    return Cast(
        estate=estate,
        other_estate=other_estate,
        zone_a=zone_a,
        zone_b=zone_b,
        unit_a=unit_a,
        unit_b=unit_b,
        other_unit=other_unit,
        owner_person=owner_person,
        neighbour=neighbour,
        stranger=stranger,
        manager=make_staff("manager", "陈经理", estate, Post.MANAGER),
        head_butler=make_staff("head_butler", "林大管家", estate, Post.HEAD_BUTLER),
        butler=butler,
        assistant=make_staff("assistant", "吴助理", estate, Post.ASSISTANT),
        finance=make_staff("finance", "郑财务", estate, Post.FINANCE),
        owner=owner,
        outsider=outsider,
    )


class MediaRoots:
    """A MEDIA_ROOT for each test, numbered under one folder of the session. Nothing is made
    on disk until a test stores a file: cheaper than a tmp_path per test, which pytest makes
    and, at the end of the session, removes again by the thousand."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.numbers = itertools.count(1)

    def new(self) -> Path:
        return self.base / str(next(self.numbers))

    @staticmethod
    def remove(root: Path) -> None:
        shutil.rmtree(root, ignore_errors=True)


# Nothing was written ----------------------------------------------------------------------
#
# Instead of copying every table before and after (two full snapshots of about 50 tables
# per check), the database's own write counters say whether a row was inserted, updated or
# deleted in between: SQLite's total_changes() of the connection, PostgreSQL's
# pg_stat_xact_user_tables of the current transaction. Both also count writes that were
# later rolled back (to a savepoint, or a statement that failed on a constraint), which
# changed nothing: so the statements that roll back to a savepoint are watched too, and what
# was counted since that savepoint is taken off again. The session store, axes' login records
# and the last_login stamp of signing in are no part of what a request may not change.

# Apps whose tables keep sign-in bookkeeping rather than data of the application.
LOGIN_BOOKKEEPING_APPS = ("sessions", "axes")


@dataclass
class _Savepoint:
    effective: int  # writes counted and not rolled back, when it was made
    ignored: int  # bookkeeping writes among them


class WriteWatch:
    """Counts the rows written on the default connection while it is installed (as an
    execute wrapper, between start() and stop()), less what was rolled back to a savepoint
    and the sign-in bookkeeping. Cheap: no query on SQLite, one per savepoint on PostgreSQL."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise RuntimeError(f"WriteWatch does not know {connection.vendor}'s write counters.")
        self.undone = 0  # counted writes rolled back to a savepoint since start()
        self.ignored = 0  # sign-in bookkeeping writes since start(), not rolled back
        self.savepoints: dict[str, _Savepoint] = {}
        self.foreign_rollback = ""  # a rollback to a savepoint older than start(): not vouched for
        self.pending: int | None = None  # SQLite: total_changes before the last bookkeeping write
        self.written: list[str] = []  # the statements that wrote, for the failure message
        self.media = Path(settings.MEDIA_ROOT)
        self._wrapper: Any = None
        self.start_count = 0
        self.start_media: list[str] = []

    # The counters ---------------------------------------------------------------------

    def count(self) -> int:
        """Rows inserted, updated or deleted so far on this connection (SQLite) or in this
        transaction (PostgreSQL), rolled back or not."""
        connection.ensure_connection()
        raw = connection.connection
        if self.vendor == "sqlite":
            return raw.total_changes
        with raw.cursor() as cursor:  # the driver's cursor: not seen by our own wrapper
            cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
            return int(cursor.fetchone()[0])

    def effective(self) -> int:
        self.settle()
        return self.count() - self.start_count - self.undone

    def settle(self) -> None:
        """SQLite counts an INSERT … RETURNING once its row is fetched, after the execute
        wrapper has returned: so a bookkeeping write is measured up to the next statement."""
        if self.pending is not None:
            self.ignored += connection.connection.total_changes - self.pending
            self.pending = None

    # Installing ---------------------------------------------------------------------------

    def start(self) -> WriteWatch:
        if self.vendor == "postgresql" and not connection.in_atomic_block:
            # pg_stat_xact_* start again at every transaction: the watch needs one throughout.
            raise RuntimeError("WriteWatch on PostgreSQL needs a test inside a transaction (not transaction=True).")
        self.start_count = self.count()
        self.start_media = self.media_files()
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def stop(self) -> None:
        if self._wrapper is not None:
            self._wrapper.__exit__(None, None, None)
            self._wrapper = None

    def __enter__(self) -> WriteWatch:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # The execute wrapper ------------------------------------------------------------------

    def __call__(self, execute, sql, params, many, context):
        self.settle()
        head = sql.lstrip()[:40].upper()
        if head.startswith("SAVEPOINT "):
            result = execute(sql, params, many, context)
            self.savepoints[savepoint_name(sql)] = _Savepoint(self.effective(), self.ignored)
            return result
        if head.startswith("ROLLBACK TO SAVEPOINT "):
            result = execute(sql, params, many, context)
            self.rolled_back(savepoint_name(sql))
            return result
        if head.startswith(("INSERT", "UPDATE", "DELETE", "REPLACE")):
            return self.write(execute, sql, params, many, context)
        return execute(sql, params, many, context)

    def write(self, execute, sql, params, many, context):
        if not is_bookkeeping(sql):
            self.written.append(sql if len(sql) < 200 else sql[:200] + "…")
            return execute(sql, params, many, context)
        if self.vendor == "sqlite":
            self.pending = connection.connection.total_changes
            return execute(sql, params, many, context)
        result = execute(sql, params, many, context)
        self.ignored += max(context["cursor"].rowcount, 0)
        return result

    def rolled_back(self, name: str) -> None:
        savepoint = self.savepoints.get(name)
        if savepoint is None:
            self.foreign_rollback = name
            return
        # Everything counted since the savepoint is undone; its bookkeeping writes with it.
        self.undone += self.effective() - savepoint.effective
        self.ignored = savepoint.ignored

    # The verdict -------------------------------------------------------------------------

    def rows_written(self) -> int:
        effective = self.effective()  # settles the last bookkeeping write first
        return effective - self.ignored

    def media_files(self) -> list[str]:
        root = str(self.media)
        return sorted(
            os.path.relpath(os.path.join(folder, name), root) for folder, _, names in os.walk(root) for name in names
        )

    def changes(self) -> list[str]:
        """What changed since start(), in words; empty if nothing did."""
        found = []
        rows = self.rows_written()
        if rows:
            shown = "\n  ".join(self.written[-10:]) or "(by no statement seen here)"
            found.append(f"{rows} row(s) written, by:\n  {shown}")
        if self.foreign_rollback:
            found.append(f"a rollback to savepoint {self.foreign_rollback}, made before the check began")
        media = self.media_files()
        if media != self.start_media:
            found.append(f"media files {self.start_media} became {media}")
        return found


SAVEPOINT_NAME = re.compile(r'SAVEPOINT\s+"?([^"\s;]+)"?', re.IGNORECASE)


def savepoint_name(sql: str) -> str:
    match = SAVEPOINT_NAME.search(sql)
    return match.group(1) if match else sql


ROLLUP_CACHE_MODELS = ("reports.DailyRollup", "reports.MonthlyRollup")


def is_bookkeeping(sql: str) -> bool:
    """A write to the session store or axes' login records, or the last_login stamp."""
    return bool(bookkeeping_statements().match(sql.lstrip()))


_BOOKKEEPING: list[re.Pattern] = []


def bookkeeping_statements() -> re.Pattern:
    if not _BOOKKEEPING:
        quote = connection.ops.quote_name
        tables = [
            re.escape(quote(model._meta.db_table))
            for label in LOGIN_BOOKKEEPING_APPS
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
        ]
        # The rollups are a cache of figures a workbench fills when it is opened and they are
        # stale (reports.actions.refresh_if_stale): not a change of anyone's data.
        tables += [re.escape(quote(apps.get_model(name)._meta.db_table)) for name in ROLLUP_CACHE_MODELS]
        user_model = apps.get_model(settings.AUTH_USER_MODEL)
        last_login = (
            rf"UPDATE {re.escape(quote(user_model._meta.db_table))} SET "
            rf"{re.escape(quote('last_login'))} = %s WHERE [^;]*$"
        )
        on_tables = rf"(?:INSERT INTO|UPDATE|DELETE FROM) (?:{'|'.join(tables)})[\s(]"
        _BOOKKEEPING.append(re.compile(rf"(?:{on_tables}|{last_login})", re.IGNORECASE))
    return _BOOKKEEPING[0]


@contextmanager
def unchanged() -> Iterator[WriteWatch]:
    """with unchanged(): ... fails if the block wrote a row (the sign-in bookkeeping aside)
    or added or removed a file under MEDIA_ROOT."""
    watch = WriteWatch()
    with watch:
        yield watch
    changes = watch.changes()
    assert not changes, "expected nothing to change, but:\n" + "\n".join(changes)


# In memory, or on a file ------------------------------------------------------------------
#
# On SQLite the test database lives in memory. A test that commits (django_db(transaction=
# True), a live server, transactional_db) does so for another connection to see: a huey
# worker subprocess, the live server's thread, racing threads. Those run on a file instead:
# a copy of the migrated in-memory database, made at the first such test, kept for the rest
# of the session (such tests empty it again when they end).


def uses_database(item: Any) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "django_db_setup"} & set(item.fixturenames)
    )


def commits(item: Any) -> bool:
    """Whether a test runs outside a rolled-back transaction (pytest-django's own rules)."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server", "django_db_reset_sequences"} & set(item.fixturenames))


class SqliteDatabases:
    """Switches the default connection between the in-memory test database and its file copy."""

    def __init__(self) -> None:
        self.memory_name = ""
        self.file: Path | None = None
        self.keepalive: Any = None  # our own connection: the memory database lives while one is open

    def use_for(self, item: Any) -> None:
        """Called once the test database exists and before the test's own fixtures."""
        from django.db import connections

        default = connections["default"]
        if default.vendor != "sqlite":
            return
        if commits(item):
            self.use_file(default)
        else:
            self.use_memory(default)

    def use_file(self, default: Any) -> None:
        if not default.is_in_memory_db():
            return  # on the file already, or a file-backed test database to begin with
        if default.in_atomic_block:
            raise RuntimeError("A test that commits cannot run while a shared world's transaction is open.")
        import sqlite3

        self.memory_name = default.settings_dict["NAME"]
        if self.keepalive is None:
            self.keepalive = sqlite3.connect(self.memory_name, uri=True)
        if self.file is None:
            self.file = Path(settings.VAR_DIR) / f"test-{os.getpid()}.sqlite3"
            self.remove_file()
            copy = sqlite3.connect(self.file)
            self.keepalive.backup(copy)
            copy.close()
        self.reconnect(default, str(self.file))

    def use_memory(self, default: Any) -> None:
        if self.memory_name and not default.is_in_memory_db():
            self.reconnect(default, self.memory_name)

    @staticmethod
    def reconnect(default: Any, name: str) -> None:
        from django.contrib.contenttypes.models import ContentType
        from django.db.backends.base.base import BaseDatabaseWrapper

        # SQLite's wrapper ignores close() on an in-memory database (it would be lost); ours is
        # kept alive by self.keepalive, so close it for real.
        BaseDatabaseWrapper.close(default)
        default.settings_dict["NAME"] = name
        settings.DATABASES["default"]["NAME"] = name
        # The content types cached from one database are not the other's: a test that commits
        # empties the file, and the content types made again after it get other ids.
        ContentType.objects.clear_cache()

    def remove_file(self) -> None:
        if self.file is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.file}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self.remove_file()
        if self.keepalive is not None:
            self.keepalive.close()
            self.keepalive = None


# The browser -----------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"  # Debian's package 'chromium'
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENS = Path(settings.BASE_DIR) / "var" / "screens"


@contextmanager
def chromium() -> Iterator[Any]:
    """The system Chromium through Playwright, headless, until the block ends."""
    import pytest

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no system Chromium at {CHROMIUM} (Debian package 'chromium')")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # Playwright's sync API runs an event loop in this thread from now on; Django refuses ORM
    # calls from a thread with a running loop unless told that this is intended.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

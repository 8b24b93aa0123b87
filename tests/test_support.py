"""The "nothing changed" check itself (tests/support.py), on whichever database runs: it sees
every kind of write, forgives what was rolled back and the bookkeeping of signing in."""

import pytest
from django.db import IntegrityError, transaction

from guanjia.estates.models import Building, Unit
from tests.support import WriteWatch


def written(action) -> list[str]:
    with WriteWatch() as watch:
        action()
    return watch.changes()


def test_reading_changes_nothing(cast):
    assert written(lambda: list(Unit.objects.all())) == []


@pytest.mark.parametrize("how", ["insert", "update", "bulk update", "delete", "raw insert"])
def test_every_kind_of_write_is_seen(cast, how):
    def write():
        if how == "insert":
            Building.objects.create(estate=cast.estate, code="9")
        elif how == "update":
            Unit.objects.filter(pk=cast.unit_a.pk).update(floor=13)
        elif how == "bulk update":
            Unit.objects.filter(building__estate=cast.estate).update(floor=13)
        elif how == "delete":
            Building.objects.create(estate=cast.other_estate, code="Z").delete()
        else:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Unit._meta.db_table} SET floor = floor + 1 WHERE id = %s",  # noqa: S608
                    [cast.unit_b.pk],
                )

    changes = written(write)
    assert changes and "row(s) written" in changes[0]


def test_an_update_that_matches_no_row_changes_nothing(cast):
    assert written(lambda: Unit.objects.filter(pk=-1).update(floor=3)) == []


def test_a_write_rolled_back_to_its_savepoint_changes_nothing(cast):
    def write_then_undo():
        try:
            with transaction.atomic():
                Building.objects.create(estate=cast.estate, code="9")
                with transaction.atomic():
                    Unit.objects.filter(pk=cast.unit_a.pk).update(floor=13)
                raise RuntimeError("refused")
        except RuntimeError:
            pass

    assert written(write_then_undo) == []


def test_a_write_kept_after_an_inner_rollback_is_seen(cast):
    def keep_one():
        with transaction.atomic():
            Building.objects.create(estate=cast.estate, code="9")
            try:
                with transaction.atomic():
                    Unit.objects.filter(pk=cast.unit_a.pk).update(floor=13)
                    raise RuntimeError("refused")
            except RuntimeError:
                pass

    changes = written(keep_one)
    assert changes and changes[0].startswith("1 row(s) written")


def test_an_insert_refused_by_a_constraint_changes_nothing(cast):
    def duplicate():
        with pytest.raises(IntegrityError), transaction.atomic():
            Building.objects.create(estate=cast.estate, code=cast.unit_a.building.code)

    assert written(duplicate) == []


def test_signing_in_is_not_a_change_but_a_write_beside_it_is(client, cast):
    assert written(lambda: client.force_login(cast.butler)) == []
    assert written(lambda: client.get("/")) == []

    def sign_in_and_write():
        client.force_login(cast.manager)
        Unit.objects.filter(pk=cast.unit_a.pk).update(floor=13)

    assert written(sign_in_and_write)


def test_a_file_under_media_root_is_a_change(cast, media_root):
    def store():
        media_root.mkdir(parents=True, exist_ok=True)
        (media_root / "photo.jpg").write_bytes(b"\xff\xd8")

    changes = written(store)
    assert changes and "photo.jpg" in changes[-1]


def test_the_unchanged_fixture_fails_on_a_write(cast, unchanged):
    with pytest.raises(AssertionError, match="expected nothing to change"), unchanged():
        Unit.objects.filter(pk=cast.unit_a.pk).update(floor=13)
    with unchanged():
        assert Unit.objects.filter(pk=cast.unit_a.pk).exists()

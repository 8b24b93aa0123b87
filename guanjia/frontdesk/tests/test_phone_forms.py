"""The desk's stored phones brought to their one form (issue 11, item 15)."""

import datetime
import importlib

from django.apps import apps
from django.utils import timezone

from guanjia.frontdesk import actions as desk
from guanjia.frontdesk.models import Key, KeyAuthorization


def test_a_key_authorization_stored_with_dashes_still_lends_after_the_desk_migration(cast):
    """An owner authorized 0571-88886666 before phones had one form; the clerk types the same
    number today. The desk's data migration brings the stored one to the form typed."""
    key = desk.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag="K-1201", slot="A-03", unit=cast.unit_a
    )
    desk.authorize_borrower(
        actor=cast.butler,
        key=key,
        borrower_name="王阿姨",
        borrower_phone="0571-88886666",
        purpose="保洁",
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
    )
    KeyAuthorization.objects.update(borrower_phone="0571-88886666")  # as the old rule stored it
    migration = importlib.import_module("guanjia.frontdesk.migrations.0004_phones_in_one_form")
    migration.normalise(apps, None)
    assert KeyAuthorization.objects.get().borrower_phone == "057188886666"
    due = timezone.now() + datetime.timedelta(hours=2)
    loan = desk.lend_key(
        actor=cast.assistant, key=key, borrower_name="王阿姨", borrower_phone="0571 8888 6666", due_at=due
    )
    assert loan.borrower_phone == "057188886666"

"""Arrears collection: the collection log, the follow-up reminder on the promised date (run
by the real worker, idempotent) and the reminder notices to owners."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from guanjia.billing import actions, tasks
from guanjia.billing.models import Bill, CollectionLog
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.core.errors import DomainError
from guanjia.core.testing import run_worker, wait_for
from guanjia.notifications.models import Notification, OutboxMessage

D = Decimal
JUNE = datetime.date(2025, 6, 1)


@pytest.fixture
def billed(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    return item


def promise(cast, unit, days=1, actor=None):
    return actions.log_collection(
        actor=actor or cast.butler,
        unit=unit,
        contact=CollectionLog.Contact.PHONE,
        outcome=CollectionLog.Outcome.PROMISED,
        promised_date=timezone.localdate() + datetime.timedelta(days=days),
        note="说月底交",
    )


def follow_ups(user):
    return Notification.objects.filter(recipient=user, dedupe_key__startswith="billing:collection:")


def test_a_promise_is_followed_up_once_on_its_date_and_not_when_paid(cast, billed):
    kept = promise(cast, cast.unit_a)
    paid = promise(cast, cast.unit_b, actor=cast.finance)
    later = promise(cast, cast.unit_a, days=5)
    actions.record_payment(actor=cast.finance, unit=cast.unit_b, amount="300.00", method="cash")
    day = timezone.localdate() + datetime.timedelta(days=1)

    assert actions.remind_promised_payments(today=day - datetime.timedelta(days=1)) == []
    assert sorted(actions.remind_promised_payments(today=day)) == sorted([kept.pk, paid.pk])
    notice = follow_ups(cast.butler).get()
    assert cast.unit_a.code in notice.subject and "223.75" in notice.body
    assert not follow_ups(cast.finance).exists()  # unit B paid in the meantime: nothing to chase
    assert actions.remind_promised_payments(today=day) == []  # once
    assert follow_ups(cast.butler).count() == 1
    later.refresh_from_db()
    assert later.reminded_at is None


def test_the_log_refuses_bad_entries(cast, billed):
    bad = [
        ({"contact": "fax", "outcome": "refused"}, "contact"),
        ({"contact": "phone", "outcome": "maybe"}, "outcome"),
        ({"contact": "phone", "outcome": "promised"}, "promised_date"),
        (
            {"contact": "phone", "outcome": "promised", "promised_date": timezone.localdate() - datetime.timedelta(1)},
            "promised_date",
        ),
    ]
    for kwargs, field in bad:
        with pytest.raises(DomainError) as error:
            actions.log_collection(actor=cast.butler, unit=cast.unit_a, **kwargs)
        assert error.value.field == field
    assert not CollectionLog.objects.exists()


def test_reminder_notices_go_to_owners_by_inbox_and_sms_once_a_month(cast, billed):
    cast.owner.phone = "13812341234"
    cast.owner.save()
    developer_unit_bill = Bill.objects.get(unit=cast.unit_b)
    Bill.objects.filter(pk=developer_unit_bill.pk).update(payer=Bill.Payer.DEVELOPER)
    sent = actions.send_arrears_reminders(actor=cast.finance, estate=cast.estate, as_of=datetime.date(2025, 7, 5))
    assert sent == 1  # the owner of unit A; unit B's bill is the developer's, not an owner's arrears
    notice = Notification.objects.get(recipient=cast.owner)
    assert "223.75" in notice.body and cast.unit_a.code in notice.subject
    assert OutboxMessage.objects.filter(notification=notice, channel=OutboxMessage.Channel.SMS).exists()
    # Again in the same month: nothing; the next month: once more.
    assert actions.send_arrears_reminders(actor=cast.finance, estate=cast.estate, as_of=datetime.date(2025, 7, 20)) == 0
    assert actions.send_arrears_reminders(actor=cast.finance, estate=cast.estate, as_of=datetime.date(2025, 8, 1)) == 1
    # Not yet due on 31 May: nothing is owed.
    assert actions.send_arrears_reminders(actor=cast.finance, estate=cast.estate, as_of=datetime.date(2025, 5, 31)) == 0
    assert Notification.objects.filter(recipient=cast.owner).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_follow_up_runs_in_the_worker_and_a_second_run_adds_nothing(cast, billed):
    entry = promise(cast, cast.unit_a, days=2)
    day = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    with run_worker() as worker:
        tasks.remind_promised_payments_task(day)
        wait_for(lambda: follow_ups(cast.butler).exists(), worker=worker, message="the follow-up reminder")
        result = tasks.remind_promised_payments_task(day)
        assert result.get(blocking=True, timeout=30) == []
    entry.refresh_from_db()
    assert entry.reminded_at is not None
    assert follow_ups(cast.butler).count() == 1

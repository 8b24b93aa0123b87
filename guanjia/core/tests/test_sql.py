"""The hand-written statements of core/sql.py, on both databases: a row and the rows pointing at
it in one statement (saves on SQLite), and many rows by COPY (bulk_create on SQLite). What is
read back is what was written, and a refused row takes the others with it."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from guanjia.core.models import Change
from guanjia.core.sql import copy_rows, insert_with_dependents
from guanjia.servicedesk.models import ComplaintDetails, RequestEvent, ServiceRequest
from guanjia.servicedesk.tests.factories import receive

pytestmark = pytest.mark.django_db


def test_a_complaint_is_written_with_its_event_its_audit_entry_and_its_details(cast):
    built = receive(cast, kind=ServiceRequest.Kind.COMPLAINT, title="夜间噪音")
    stored = ServiceRequest.objects.get(pk=built.pk)
    for field in ServiceRequest._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(built, field.attname), field.name
    event = RequestEvent.objects.get(request=stored)
    assert (event.actor_id, event.to_status, event.action) == (cast.assistant.pk, "received", "receive")
    assert ComplaintDetails.objects.filter(request=stored).count() == 1
    change = Change.objects.get(content_type=ContentType.objects.get_for_model(ServiceRequest), object_id=stored.pk)
    assert change.verb == "create" and change.changes["title"] == [None, "夜间噪音"]
    assert not built._state.adding
    stored.title = "夜间噪音（已核实）"
    stored.save(update_fields=["title"])


def test_a_refused_dependent_row_leaves_nothing(cast):
    before = (ServiceRequest.objects.count(), RequestEvent.objects.count(), Change.objects.count())
    request = ServiceRequest(
        estate=cast.estate,
        kind=ServiceRequest.Kind.INQUIRY,
        channel=ServiceRequest.Channel.PHONE,
        title="咨询",
        first_responder=cast.assistant,
        received_at=timezone.now(),
    )
    event = RequestEvent(request=request, actor=cast.assistant, at=request.received_at, to_status="received")
    broken = Change(content_type=ContentType.objects.get_for_model(ServiceRequest), verb=None)  # verb is NOT NULL
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_with_dependents(request, [(event, "request_id"), (broken, "object_id")])
    assert (ServiceRequest.objects.count(), RequestEvent.objects.count(), Change.objects.count()) == before


# copy_rows ----------------------------------------------------------------------------------


def bill_row(cast, unit, item, payer="owner", amount="250.00", basis=None):
    from decimal import Decimal

    return (
        cast.estate.pk,
        unit.pk,
        item.pk,
        JULY,
        datetime.date(2025, 7, 31),
        datetime.date(2025, 7, 15),
        payer,
        Decimal(amount),
        Decimal("0.00"),
        "due",
        {"area": "100.00", "days": 31} if basis is None else basis,
    )


BILL_FIELDS = [
    "estate_id", "unit_id", "fee_item_id", "period_start", "period_end", "due_date", "payer", "amount",
    "paid_amount", "status", "basis",
]  # fmt: skip
JULY = datetime.date(2025, 7, 1)


@pytest.fixture
def fee_item(cast):
    from guanjia.billing.tests.factories import FeeItemFactory

    return FeeItemFactory(estate=cast.estate, code="wyf")


def test_copied_rows_read_back_as_written_with_their_ids_in_order(cast):
    from decimal import Decimal

    from guanjia.estates.models import Unit

    columns = ["estate_id", "building_id", "zone_id", "entrance", "number", "code", "floor", "area", "house_type"]
    building = cast.unit_a.building
    rows = [
        (cast.estate.pk, building.pk, cast.zone_a.pk, "1", f"{floor:02d}01", f"1-1-{floor:02d}01", floor,
         Decimal("88.50"), "high_rise")
        for floor in (3, 4, 5)
    ]  # fmt: skip
    ids = copy_rows(Unit, columns, rows, with_ids=True)
    assert len(ids) == 3 and len(set(ids)) == 3
    for unit_id, row in zip(ids, rows, strict=True):
        stored = Unit.objects.get(pk=unit_id)
        assert tuple(getattr(stored, name) for name in columns) == row
        assert stored.status == Unit._meta.get_field("status").get_default()  # a column not given


def test_a_json_value_is_stored_as_json_and_auto_now_is_filled(cast, fee_item):
    from guanjia.billing.models import Bill

    shared = {"area": "100.00", "days": 31, "名称": "物业服务费"}
    copy_rows(Bill, BILL_FIELDS, [bill_row(cast, cast.unit_a, fee_item, basis=shared),
                                  bill_row(cast, cast.unit_b, fee_item, basis=shared)])  # fmt: skip
    bills = list(Bill.objects.filter(fee_item=fee_item).order_by("unit_id"))
    assert [bill.basis for bill in bills] == [shared, shared]
    assert all(bill.created_at is not None for bill in bills)


def test_conflicting_rows_are_skipped_and_the_rest_inserted(cast, fee_item):
    from guanjia.billing.models import Bill

    copy_rows(Bill, BILL_FIELDS, [bill_row(cast, cast.unit_a, fee_item, amount="1.00")])
    again = [
        bill_row(cast, cast.unit_a, fee_item, amount="2.00"),  # the same line: skipped
        bill_row(cast, cast.unit_b, fee_item, amount="3.00"),
        bill_row(cast, cast.unit_b, fee_item, payer="developer", amount="4.00"),
    ]
    copy_rows(Bill, BILL_FIELDS, again, ignore_conflicts=True)
    stored = sorted((bill.unit_id, bill.payer, str(bill.amount)) for bill in Bill.objects.filter(fee_item=fee_item))
    assert stored == sorted(
        [(cast.unit_a.pk, "owner", "1.00"), (cast.unit_b.pk, "owner", "3.00"), (cast.unit_b.pk, "developer", "4.00")]
    )
    # A second batch in the same transaction goes the same way (the load table is gone).
    copy_rows(Bill, BILL_FIELDS, again, ignore_conflicts=True)
    assert Bill.objects.filter(fee_item=fee_item).count() == 3


def test_without_ignore_conflicts_a_conflict_leaves_none_of_the_batch(cast, fee_item):
    from guanjia.billing.models import Bill

    copy_rows(Bill, BILL_FIELDS, [bill_row(cast, cast.unit_a, fee_item)])
    with pytest.raises(IntegrityError):
        copy_rows(Bill, BILL_FIELDS, [bill_row(cast, cast.unit_b, fee_item), bill_row(cast, cast.unit_a, fee_item)])
    assert list(Bill.objects.filter(fee_item=fee_item).values_list("unit_id", flat=True)) == [cast.unit_a.pk]


def test_copy_rows_refuses_what_it_cannot_do(cast, fee_item):
    from guanjia.billing.models import Bill

    with pytest.raises(ValueError, match="attnames"):
        copy_rows(Bill, ["unit"], [(cast.unit_a,)])
    with pytest.raises(ValueError, match="ids"):
        copy_rows(Bill, BILL_FIELDS, [bill_row(cast, cast.unit_a, fee_item)], with_ids=True, ignore_conflicts=True)
    assert copy_rows(Bill, BILL_FIELDS, []) == []
    assert not Bill.objects.exists()

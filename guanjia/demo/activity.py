"""A few weeks of life in the demo's first estate, so that every page has something to show:
owners' requests in every state of the loop, keys and parcels at the front desk, a shift
handover, and three months of property-fee bills with most of them paid.

Everything goes through the action functions, from a fixed seed, dated back from today."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from guanjia.billing import actions as billing
from guanjia.billing.models import Bill, FeeItem
from guanjia.estates.models import Estate, Unit
from guanjia.frontdesk import actions as desk
from guanjia.frontdesk.models import Key
from guanjia.servicedesk import actions as desk_requests
from guanjia.servicedesk.models import ReturnVisit, ServiceRequest

# Property fee per m² and month by house type (yuan), as a Shanghai estate of this class charges.
PROPERTY_FEE = {
    Unit.HouseType.HIGH_RISE: Decimal("3.80"),
    Unit.HouseType.FLAT_MANSION: Decimal("6.50"),
    Unit.HouseType.VILLA: Decimal("8.80"),
}
BILLED_MONTHS = 3
PAID_SHARE = {0: 0.55, 1: 0.86, 2: 0.93}  # this month, last month, the month before
# (kind, channel, priority, title, how far it got)
REQUESTS = (
    (
        ServiceRequest.Kind.REPAIR_IN_UNIT,
        ServiceRequest.Channel.PHONE,
        ServiceRequest.Priority.NORMAL,
        "厨房水龙头漏水",
        "closed",
    ),
    (
        ServiceRequest.Kind.REPAIR_IN_UNIT,
        ServiceRequest.Channel.WALK_IN,
        ServiceRequest.Priority.URGENT,
        "卫生间下水堵塞",
        "resolved",
    ),
    (
        ServiceRequest.Kind.REPAIR_COMMON,
        ServiceRequest.Channel.PATROL,
        ServiceRequest.Priority.NORMAL,
        "地库B2照明灯不亮",
        "in_progress",
    ),
    (
        ServiceRequest.Kind.COMPLAINT,
        ServiceRequest.Channel.PHONE,
        ServiceRequest.Priority.NORMAL,
        "楼上夜间装修噪音",
        "assigned",
    ),
    (
        ServiceRequest.Kind.INQUIRY,
        ServiceRequest.Channel.PHONE,
        ServiceRequest.Priority.NORMAL,
        "咨询车位月租办理",
        "closed",
    ),
    (
        ServiceRequest.Kind.AGENCY,
        ServiceRequest.Channel.BUTLER_VISIT,
        ServiceRequest.Priority.NORMAL,
        "代缴燃气费",
        "received",
    ),
    (
        ServiceRequest.Kind.HOUSEKEEPING,
        ServiceRequest.Channel.PHONE,
        ServiceRequest.Priority.NORMAL,
        "预约家政保洁",
        "assigned",
    ),
    (
        ServiceRequest.Kind.REPAIR_IN_UNIT,
        ServiceRequest.Channel.PHONE,
        ServiceRequest.Priority.EMERGENCY,
        "户内水管爆裂",
        "received",
    ),
    (
        ServiceRequest.Kind.SUGGESTION,
        ServiceRequest.Channel.WALK_IN,
        ServiceRequest.Priority.NORMAL,
        "建议增设快递柜",
        "received",
    ),
    (
        ServiceRequest.Kind.PRAISE,
        ServiceRequest.Channel.PHONE,
        ServiceRequest.Priority.NORMAL,
        "表扬保洁阿姨",
        "closed",
    ),
)
COURIERS = ("顺丰", "京东", "中通", "圆通", "韵达", "邮政EMS")


def add_activity(
    estate: Estate, staff: dict[str, Any], rng: random.Random, say=print, owner_unit: Unit | None = None
) -> None:
    units = list(estate.units.select_related("zone").order_by("pk"))
    occupied = [unit for unit in units if unit.status == Unit.Status.OCCUPIED]
    if not occupied:
        return
    add_requests(estate, staff, rng, occupied)
    add_custody(estate, staff, rng, occupied)
    bills, paid = add_billing(estate, staff, rng, keep_open=owner_unit)
    say(f"  演示业务：{len(REQUESTS)} 条服务请求，钥匙与包裹若干，{bills} 张账单（已缴 {paid} 笔）")


def person_of(unit: Unit):
    residency = unit.residencies.select_related("person").order_by("pk").first()
    return residency.person if residency else None


def add_requests(estate: Estate, staff: dict[str, Any], rng: random.Random, occupied: list[Unit]) -> None:
    assistant, technician, butler = staff["assistant1"], staff["technician"], staff["butler1"]
    now = timezone.now()
    for number, (kind, channel, priority, title, reached) in enumerate(REQUESTS):
        unit = None if kind == ServiceRequest.Kind.REPAIR_COMMON else rng.choice(occupied)
        moment = now - datetime.timedelta(days=len(REQUESTS) - number, hours=rng.randint(0, 6))
        request = desk_requests.receive_request(
            actor=assistant,
            estate=estate,
            kind=kind,
            channel=channel,
            priority=priority,
            title=title,
            unit=unit,
            person=person_of(unit) if unit else None,
            now=moment,
        )
        steps = ("received", "assigned", "in_progress", "resolved", "closed")
        for step in steps[1 : steps.index(reached) + 1]:
            moment += datetime.timedelta(hours=rng.randint(1, 5))
            if step == "assigned":
                desk_requests.assign_request(actor=assistant, service_request=request, assignee=technician, now=moment)
            elif step == "in_progress":
                desk_requests.start_work(actor=technician, service_request=request, now=moment)
            elif step == "resolved":
                desk_requests.resolve_request(actor=technician, service_request=request, note="已处理", now=moment)
            elif step == "closed":
                if request.return_visit_by is not None:
                    desk_requests.record_return_visit(
                        actor=butler,
                        service_request=request,
                        how=ReturnVisit.How.PHONE,
                        satisfaction=5,
                        solved=True,
                        now=moment,
                    )
                    request.refresh_from_db()
                if request.status != ServiceRequest.Status.CLOSED:
                    desk_requests.close_request(actor=butler, service_request=request, now=moment)


def add_custody(estate: Estate, staff: dict[str, Any], rng: random.Random, occupied: list[Unit]) -> None:
    assistant = staff["assistant1"]
    for number, unit in enumerate(rng.sample(occupied, min(4, len(occupied))), start=1):
        key = desk.register_key(
            actor=assistant, estate=estate, kind=Key.Kind.UNIT, tag=f"K-{number:03d}", slot=f"A-{number:02d}", unit=unit
        )
        if number == 1:
            desk.authorize_borrower(
                actor=assistant,
                key=key,
                borrower_name="王阿姨",
                borrower_phone="13900001111",
                purpose="每周保洁",
                valid_until=timezone.localdate() + datetime.timedelta(days=90),
            )
            desk.lend_key(
                actor=assistant,
                key=key,
                borrower_name="王阿姨",
                borrower_phone="13900001111",
                due_at=timezone.now() + datetime.timedelta(hours=3),
            )
    desk.register_key(
        actor=assistant, estate=estate, kind=Key.Kind.FACILITY, tag="F-001", slot="F-01", facility="水泵房"
    )
    for number, unit in enumerate(rng.sample(occupied, min(12, len(occupied)))):
        person = person_of(unit)
        parcel = desk.receive_parcel(
            actor=assistant,
            unit=unit,
            recipient_name=person.name if person else "住户",
            shelf=f"{'ABC'[number % 3]}{number % 4 + 1}",
            courier=rng.choice(COURIERS),
            tracking_number=f"DEMO{20261100 + number:08d}",
        )
        if number % 3 == 0 and person is not None:
            desk.hand_over_parcel(
                actor=assistant, parcel=parcel, pickup_code=parcel.pickup_code, collected_by_name=person.name
            )
    desk.write_handover(actor=assistant, estate=estate, note="早班交接：水泵房钥匙在柜，3号楼快递较多已上架。")


def month_start(day: datetime.date, back: int) -> datetime.date:
    year, month = day.year, day.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return datetime.date(year, month, 1)


def add_billing(
    estate: Estate, staff: dict[str, Any], rng: random.Random, keep_open: Unit | None = None
) -> tuple[int, int]:
    """Bills for the last months, most paid. The demo owner's unit keeps this month's bill
    open, so that signing in as `owner` shows something to pay online (the sandbox gateway)."""
    finance = staff["finance"]
    item = billing.create_fee_item(
        actor=finance, estate=estate, code="property", name="物业服务费", kind=FeeItem.Kind.PROPERTY_FEE
    )
    first_month = month_start(timezone.localdate(), BILLED_MONTHS - 1)
    for house_type, price in PROPERTY_FEE.items():
        billing.set_fee_standard(
            actor=finance, fee_item=item, house_type=house_type, unit_price=price, valid_from=first_month
        )
    for back in range(BILLED_MONTHS - 1, -1, -1):
        billing.run_billing(actor=finance, estate=estate, period_start=month_start(timezone.localdate(), back))
    paid = 0
    for back in range(BILLED_MONTHS - 1, -1, -1):
        period = month_start(timezone.localdate(), back)
        owners_bills = item.bills.filter(period_start=period, payer=Bill.Payer.OWNER)
        for bill in owners_bills.select_related("unit").order_by("pk"):
            left_for_the_owner = back == 0 and keep_open is not None and bill.unit_id == keep_open.pk
            if rng.random() < PAID_SHARE[back] and not left_for_the_owner:
                billing.record_payment(
                    actor=finance,
                    unit=bill.unit,
                    amount=bill.amount,
                    method=rng.choice(("bank_transfer", "online", "pos", "cash")),
                    bill_ids=[bill.pk],
                )
                paid += 1
    return item.bills.count(), paid

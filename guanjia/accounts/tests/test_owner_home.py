"""The owner's home: the figures of each app (parcels waiting, amount to pay and how much of it
is in arrears, requests in progress), the call button to the zone's butler, and the 待缴/欠费
labels of the owner's bills."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanjia.billing import actions as billing
from guanjia.billing import queries as billing_queries
from guanjia.billing.models import Bill
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.frontdesk import actions as frontdesk
from guanjia.servicedesk import actions as servicedesk

JUNE = datetime.date(2025, 6, 1)


@pytest.fixture
def billed(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=Decimal("2.5000"), valid_from=datetime.date(2025, 1, 1))
    billing.run_billing(actor=cast.finance, estate=cast.estate, period_start=JUNE)
    billing.run_billing(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 7, 1))
    return item


def tile(html: str, key: str) -> str:
    start = html.rindex("<a ", 0, html.index(f'data-tile="{key}"'))
    return html[start : html.index("</a>", start)]


@pytest.mark.parametrize(
    ("days_from_today", "label"),
    [(30, billing_queries.DUE), (1, billing_queries.DUE), (0, billing_queries.DUE), (-1, billing_queries.ARREARS)],
)
def test_a_bill_is_due_until_its_due_date_and_in_arrears_after(days_from_today, label):
    today = datetime.date(2026, 12, 2)
    bill = Bill(due_date=today + datetime.timedelta(days=days_from_today))
    assert billing_queries.owner_status(bill, today) == label


def test_the_bills_page_labels_each_bill_due_or_in_arrears(client_as, cast, billed):
    today = timezone.localdate()
    future = Bill.objects.get(unit=cast.unit_a, period_start=datetime.date(2025, 7, 1))
    Bill.objects.filter(pk=future.pk).update(due_date=today + datetime.timedelta(days=10))
    past = Bill.objects.get(unit=cast.unit_a, period_start=JUNE)
    html = client_as("owner").get(reverse("billing:portal")).content.decode()

    def label_of(bill):
        start = html.index(f'data-bill="{bill.pk}"')
        return html[start : html.index("</li>", start)]

    assert "欠费" in label_of(past) and "待缴" not in label_of(past)
    assert "待缴" in label_of(future) and "欠费" not in label_of(future)
    owed, in_arrears = billing_queries.owed_by_units({cast.unit_a.pk}, today)
    assert (owed, in_arrears) == (Decimal("447.50"), Decimal("223.75"))


def test_the_home_counts_parcels_money_and_requests_of_the_owners_units_only(client_as, cast, billed):
    frontdesk.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="A1", courier="顺丰", tracking_number="SF1"
    )
    frontdesk.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="A2", courier="中通", tracking_number="ZT2"
    )
    frontdesk.receive_parcel(
        actor=cast.assistant, unit=cast.unit_b, recipient_name="李四", shelf="B1", courier="圆通", tracking_number="YT3"
    )
    for title in ("厨房漏水", "门铃坏了"):
        servicedesk.submit_portal_request(
            actor=cast.owner,
            person=cast.owner_person,
            unit_id=cast.unit_a.pk,
            kind="repair_in_unit",
            priority="normal",
            title=title,
            description=title,
            photos=[],
        )
    html = client_as("owner").get(reverse("accounts:portal")).content.decode()
    assert ">2<" in tile(html, "parcels") and reverse("frontdesk:my_parcels") in tile(html, "parcels")
    owed = tile(html, "owed")
    assert "¥447.50" in owed and "其中欠费 ¥447.50" in owed and reverse("billing:portal") in owed
    assert ">2<" in tile(html, "requests") and reverse("servicedesk:portal_requests") in tile(html, "requests")
    # Paid up: nothing to pay, nothing in red.
    billing.record_payment(actor=cast.finance, unit=cast.unit_a, amount="447.50", method="cash")
    html = client_as("owner").get(reverse("accounts:portal")).content.decode()
    paid_up = tile(html, "owed")
    assert "¥0.00" in paid_up and "欠费" not in paid_up and "text-danger" not in paid_up


def test_call_my_butler_dials_the_zone_butlers_work_phone_or_else_the_service_center(client_as, cast):
    cast.butler.phone = "13900001111"
    cast.butler.save(update_fields=["phone"])
    html = client_as("owner").get(reverse("accounts:portal")).content.decode()
    assert 'href="tel:13900001111"' in html and "呼叫管家" in html and "周管家" in html
    cast.butler.phone = ""
    cast.butler.save(update_fields=["phone"])
    cast.estate.phone = "057188886666"
    cast.estate.save(update_fields=["phone"])
    html = client_as("owner").get(reverse("accounts:portal")).content.decode()
    assert 'href="tel:13900001111"' not in html and 'href="tel:057188886666"' in html and "致电服务中心" in html


def test_owner_pages_use_the_owners_words_and_lead_back_home(client_as, cast):
    request = servicedesk.submit_portal_request(
        actor=cast.owner,
        person=cast.owner_person,
        unit_id=cast.unit_a.pk,
        kind="repair_in_unit",
        priority="normal",
        title="厨房漏水",
        description="水槽下面",
        photos=[],
    )
    owner = client_as("owner")
    page = owner.get(reverse("servicedesk:portal_request", args=[request.pk])).content.decode()
    assert "负责管家" in page and "首问责任人" not in page and "办结时限" not in page
    home = reverse("accounts:portal")
    for name, args in (
        ("servicedesk:portal_request", [request.pk]),
        ("servicedesk:portal_requests", []),
        ("servicedesk:portal_new", []),
        ("billing:portal", []),
        ("frontdesk:my_parcels", []),
        ("frontdesk:my_passes", []),
        ("frontdesk:my_keys", []),
        ("frontdesk:my_instructions", []),
    ):
        html = owner.get(reverse(name, args=args)).content.decode()
        crumbs = html[html.index('class="breadcrumb"') :]
        assert f'href="{home}"' in crumbs[: crumbs.index("</ol>")], name

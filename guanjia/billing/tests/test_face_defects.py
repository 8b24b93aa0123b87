"""Billing's smaller defects found when the pages were tried as each post uses them."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanjia.billing import actions
from guanjia.billing.models import Bill, FeeItem, Payment
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.core.errors import DomainError
from guanjia.core.models import Job
from guanjia.people.tests.factories import PersonFactory, ResidencyFactory

D = Decimal
THIS_MONTH = timezone.localdate().replace(day=1)
NEXT_MONTH = (THIS_MONTH + datetime.timedelta(days=32)).replace(day=1)


@pytest.fixture
def fee(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2020, 1, 1))
    return item


@pytest.fixture
def billed(cast, fee):
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=THIS_MONTH)
    return fee


def test_a_run_is_previewed_with_its_count_and_total_before_it_is_queued(cast, client_as, fee, unchanged):
    client = client_as("finance")
    with unchanged():
        response = client.post(reverse("billing:run", args=[cast.estate.pk]), {"period_start": f"{THIS_MONTH:%Y-%m}"})
    body = response.content.decode()
    assert response.status_code == 200
    assert ">2<" in body.split('id="preview-bills"')[1][:5]
    assert "¥523.75" in body.split('id="preview-total"')[1][:20]
    assert 'id="run-future"' not in body
    assert not Job.objects.exists() and not Bill.objects.exists()


def test_a_future_month_is_warned_of_and_asks_for_confirmation(cast, client_as, fee):
    client = client_as("finance")
    url = reverse("billing:run", args=[cast.estate.pk])
    body = client.post(url, {"period_start": f"{NEXT_MONTH:%Y-%m}"}).content.decode()
    assert 'id="run-future"' in body and "尚未开始" in body
    assert f'data-confirm="为尚未开始的 {NEXT_MONTH:%Y-%m} 计费？"' in body
    assert not Job.objects.exists()
    response = client.post(url, {"period_start": f"{NEXT_MONTH:%Y-%m}", "confirm": "1"})
    assert response.status_code == 302 and Job.objects.count() == 1


def test_wechat_at_the_counter_needs_the_transaction_number(cast, client_as, billed, unchanged):
    client = client_as("finance")
    url = reverse("billing:cashier", args=[cast.unit_a.pk])
    form = {"method": "wechat", "amount": "100.00", "idempotency_key": "k-wechat-1"}
    with unchanged():
        response = client.post(url, form)
    assert response.status_code == 400
    row = response.content.decode().split("form-row-reference")[1].split("form-row-note")[0]
    assert "交易单号" in row and "微信" in row
    assert not Payment.objects.exists()
    response = client.post(url, form | {"reference": "4200001234202612011234567890", "idempotency_key": "k-wechat-2"})
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert (payment.method, payment.reference) == ("wechat", "4200001234202612011234567890")


def test_alipay_without_a_transaction_number_is_refused_by_the_action(cast, billed):
    with pytest.raises(DomainError) as refused:
        actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="10.00", method="alipay")
    assert refused.value.field == "reference"
    assert not Payment.objects.exists()


def test_the_cashier_lists_each_bill_with_what_it_owes_for_the_script(cast, client_as, billed):
    body = client_as("finance").get(reverse("billing:cashier", args=[cast.unit_a.pk])).content.decode()
    assert 'data-bill-owed="223.75"' in body and "js/cashier" in body
    assert "data-cashier-amount" in body


def test_the_arrears_list_names_zones_and_owners(cast, client_as, billed):
    as_of = (THIS_MONTH + datetime.timedelta(days=40)).isoformat()
    body = client_as("finance").get(reverse("billing:arrears", args=[cast.estate.pk]), {"as_of": as_of}).content
    debtors = body.decode().split('class="table table-vcenter card-table debtors"')[1]
    assert cast.zone_a.name in debtors and "张三" in debtors
    assert f'<td class="zone">{cast.zone_a.code}</td>' not in debtors


def test_sending_reminders_to_many_asks_first(cast, client_as, billed):
    as_of = (THIS_MONTH + datetime.timedelta(days=40)).isoformat()
    body = client_as("finance").get(reverse("billing:arrears", args=[cast.estate.pk]), {"as_of": as_of}).content
    assert 'id="remind-form" data-confirm="' in body.decode()


def test_the_readings_page_explains_when_there_is_no_metered_item(cast, client_as, fee):
    client = client_as("finance")
    body = client.get(reverse("billing:readings", args=[cast.estate.pk])).content.decode()
    assert 'id="no-metered"' in body and "<select" not in body
    FeeItemFactory(estate=cast.estate, code="water", name="水费", kind=FeeItem.Kind.METERED)
    body = client.get(reverse("billing:readings", args=[cast.estate.pk])).content.decode()
    assert 'id="no-metered"' not in body and "水费" in body and "选择" in body


def test_the_prepaid_balance_reads_as_money(cast, client_as, billed):
    actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="300.00", method="cash")
    body = client_as("finance").get(reverse("billing:unit", args=[cast.unit_a.pk])).content.decode()
    assert "¥76.25" in body.split("prepaid")[1][:40]
    assert "0000000" not in body.replace("00000001", "")


def test_the_receipt_page_names_the_payer_and_the_company(cast, client_as, billed):
    ResidencyFactory(person=PersonFactory(estate=cast.estate, name="张小三"), unit=cast.unit_b)
    payment = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="100.00", method="cash")
    body = client_as("finance").get(reverse("billing:payment", args=[payment.pk])).content.decode()
    assert "张三" in body.split('id="payer"')[1][:30]
    assert cast.estate.company.name in body
    assert "¥100.00" in body

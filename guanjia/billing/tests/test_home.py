"""The site finance's workbench: this period's run and total, receipts today, reversals waiting."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanjia.billing import actions
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory

D = Decimal
THIS_MONTH = timezone.localdate().replace(day=1)


@pytest.fixture
def billed(cast):
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2020, 1, 1))
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=THIS_MONTH)
    return item


def test_finance_lands_on_the_billing_home(client_as, cast):
    response = client_as("finance").get(reverse("home"))
    assert response.url == reverse("billing:home", args=[cast.estate.pk])


def test_the_home_shows_the_run_the_takings_and_the_reversals_waiting(client_as, cast, billed):
    payment = actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="100.00", method="cash")
    actions.record_payment(actor=cast.finance, unit=cast.unit_b, amount="50.50", method="cash")
    actions.request_reversal(actor=cast.finance, payment=payment, reason="金额录错")
    body = client_as("finance").get(reverse("billing:home", args=[cast.estate.pk])).content.decode()
    # Unit A 223.75 and unit B 300.00 this month.
    assert "¥523.75" in body.split('id="period-billed"')[1][:40]
    assert "已完成" in body.split('id="run-status"')[1][:80]
    assert "¥150.50" in body.split('id="taken-today"')[1][:40]
    assert "2" in body.split('id="receipts-today"')[1][:20]
    assert ">1<" in body.split('id="reversals-waiting"')[1][:10]
    for url in (reverse("billing:run", args=[cast.estate.pk]), reverse("billing:reversals", args=[cast.estate.pk])):
        assert url in body
    # The unit box opens the unit to take a payment.
    assert f'action="{reverse("billing:collection", args=[cast.estate.pk])}" class="card mb-3" role="search"' in body


def test_a_period_not_billed_yet_says_so(client_as, cast):
    body = client_as("finance").get(reverse("billing:home", args=[cast.estate.pk])).content.decode()
    assert "尚未计费" in body and "¥0.00" in body


@pytest.mark.parametrize("role", ["outsider", "owner", "assistant", "butler"])
def test_the_billing_home_is_not_for_others(client_as, cast, role):
    assert client_as(role).get(reverse("billing:home", args=[cast.estate.pk])).status_code == 404

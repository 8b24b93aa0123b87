"""Every figure of the workbench computed here straight from the ledger rows (bills, reversal
requests, requests and their ratings) by the definitions in reports/measures.py equals the
figure in the rollup, on the manager's page and in the API; the satisfaction rate also for any
ratings (hypothesis). Refreshing twice changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanjia.billing import money
from guanjia.billing.models import Bill, ReversalRequest
from guanjia.billing.tests.factories import FeeItemFactory
from guanjia.reports import actions, queries
from guanjia.reports.models import DailyRollup, MonthlyRollup, Scope
from guanjia.servicedesk.models import OPEN_STATUSES, ReturnVisit, ServiceRequest
from guanjia.servicedesk.queries import overdue_condition

D = Decimal
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def this_month() -> dt.date:
    return actions.local_today().replace(day=1)


def moment(hours_ago: float) -> dt.datetime:
    """A moment a little before now: in this month unless the month began in the last day
    (then both sides of every comparison below count it in the month it falls in)."""
    return timezone.now() - dt.timedelta(hours=hours_ago)


def make_bill(unit, item, period: dt.date, amount: str, paid: str, status=Bill.Status.OPEN) -> Bill:
    return Bill.objects.create(
        estate_id=unit.estate_id,
        unit=unit,
        fee_item=item,
        period_start=period,
        period_end=money.month_end(period),
        due_date=period,
        amount=D(amount),
        paid_amount=D(paid),
        status=status,
    )


def make_request(cast, *, zone, hours_ago: float, **values) -> ServiceRequest:
    values.setdefault("kind", ServiceRequest.Kind.REPAIR_IN_UNIT)
    values.setdefault("first_responder", cast.assistant)
    return ServiceRequest.objects.create(
        estate=cast.estate,
        zone=zone,
        channel=ServiceRequest.Channel.PHONE,
        title="漏水",
        received_at=moment(hours_ago),
        **values,
    )


def rate_request(cast, service_request, satisfaction: int, *, how="phone", hours_ago: float = 0.5) -> ReturnVisit:
    return ReturnVisit.objects.create(
        request=service_request,
        by=cast.butler,
        at=moment(hours_ago),
        how=how,
        satisfaction=satisfaction,
        solved=satisfaction >= 3,
    )


@pytest.fixture
def ledger(cast):
    """Bills this month and last in both zones (one reversed, one partly paid), requests with
    their steps met, missed and pending, ratings from return visits and from the owner, and a
    reversal waiting for approval; the other estate has rows too, which must not count."""
    month = this_month()
    last = money.add_months(month, -1)
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    make_bill(cast.unit_a, item, month, "300.00", "300.00", Bill.Status.PAID)
    make_bill(cast.unit_b, item, month, "250.00", "100.00")
    parking = FeeItemFactory(estate=cast.estate, code="tc")
    make_bill(cast.unit_b, parking, month, "999.00", "0.00", Bill.Status.REVERSED)
    make_bill(cast.unit_a, item, last, "300.00", "120.00")
    make_bill(cast.unit_b, item, money.add_months(month, -2), "250.00", "250.00", Bill.Status.PAID)
    other_item = FeeItemFactory(estate=cast.other_estate, code="wyf")
    make_bill(cast.other_unit, other_item, month, "800.00", "0.00")
    paid = make_bill(cast.unit_a, item, money.add_months(month, -3), "10.00", "10.00", Bill.Status.PAID)
    ReversalRequest.objects.create(estate=cast.estate, bill=paid, reason="重复", requested_by=cast.finance)

    on_time = make_request(
        cast,
        zone=cast.zone_a,
        hours_ago=5,
        assignee=cast.butler,
        status=ServiceRequest.Status.CLOSED,
        respond_by=moment(4.5),
        responded_at=moment(4.9),
        resolve_by=moment(2),
        resolved_at=moment(3),
    )
    late = make_request(
        cast,
        zone=cast.zone_b,
        hours_ago=6,
        kind=ServiceRequest.Kind.COMPLAINT,
        status=ServiceRequest.Status.RESOLVED,
        respond_by=moment(5.5),
        responded_at=moment(5),
        arrive_by=moment(5),
        arrived_at=moment(4.8),
        resolve_by=moment(4),
        resolved_at=moment(1),
        return_visit_by=timezone.now() + 48 * H,
    )
    make_request(  # overdue now: respond missed, resolve still ahead
        cast,
        zone=cast.zone_a,
        hours_ago=3,
        status=ServiceRequest.Status.RECEIVED,
        respond_by=moment(2.5),
        resolve_by=timezone.now() + 20 * H,
    )
    make_request(  # paused: its missed deadline is not counted yet
        cast,
        zone=cast.zone_b,
        hours_ago=3,
        kind=ServiceRequest.Kind.COMPLAINT,
        status=ServiceRequest.Status.WAITING_OWNER,
        respond_by=moment(2),
        paused_since=moment(2.5),
    )
    make_request(cast, zone=None, hours_ago=2, status=ServiceRequest.Status.CANCELLED, respond_by=moment(1.5))
    rate_request(cast, on_time, 5)
    rate_request(cast, on_time, 4, how="portal")
    rate_request(cast, late, 3)
    rate_request(cast, late, 1, how="portal")
    other = ServiceRequest.objects.create(
        estate=cast.other_estate,
        kind=ServiceRequest.Kind.COMPLAINT,
        channel="phone",
        title="x",
        first_responder=cast.outsider,
        received_at=moment(1),
        respond_by=moment(0.5),
    )
    rate_request(cast, other, 1)
    return cast


def bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return actions.month_bounds(month)


def expected_figures(estate, month: dt.date, *, zone=None) -> dict:
    """The month's figures from the rows, the plain Python way."""
    start, end = bounds(month)
    now = timezone.now()
    today = actions.local_today()
    as_of = min(money.month_end(month), today)

    def in_zone(zone_id):
        return zone is None or zone_id == zone.pk

    bills = [b for b in Bill.objects.filter(estate=estate).select_related("unit") if in_zone(b.unit.zone_id)]
    period = [b for b in bills if b.period_start == month and b.status != Bill.Status.REVERSED]
    receivable = sum((b.amount for b in period), D("0"))
    received = sum((b.paid_amount for b in period), D("0"))
    arrears = sum(
        (b.amount - b.paid_amount for b in bills if b.status == Bill.Status.OPEN and b.due_date <= as_of), D("0")
    )
    all_ratings = ReturnVisit.objects.filter(request__estate=estate).select_related("request")
    ratings = [r for r in all_ratings if in_zone(r.request.zone_id)]
    in_month = [r for r in ratings if start <= r.at < end]
    requests = [r for r in ServiceRequest.objects.filter(estate=estate) if in_zone(r.zone_id)]
    figures = {
        "receivable": receivable,
        "received": received,
        "arrears": arrears,
        "collection_rate": queries.ratio(received, receivable),
        "rated": len(in_month),
        "satisfied": sum(1 for r in in_month if r.satisfaction >= 4),
        "opened": sum(1 for r in requests if start <= r.received_at < end),
        "complaints": sum(
            1
            for r in requests
            if start <= r.received_at < end and r.kind == "complaint" and r.status != ServiceRequest.Status.CANCELLED
        ),
        "open_now": sum(1 for r in requests if r.status in OPEN_STATUSES),
        "overdue_now": ServiceRequest.objects.filter(overdue_condition(now), pk__in=[r.pk for r in requests]).count(),
        "return_visits_due": sum(1 for r in requests if r.status == "resolved" and r.return_visit_by is not None),
        "approvals_waiting": (
            ReversalRequest.objects.filter(estate=estate, status="pending").count() if zone is None else 0
        ),
    }
    figures["satisfaction_rate"] = queries.ratio(figures["satisfied"], figures["rated"])
    for step, done_name in (("respond", "responded_at"), ("arrive", "arrived_at"), ("resolve", "resolved_at")):
        decided = met = 0
        for r in requests:
            deadline, done = getattr(r, f"{step}_by"), getattr(r, done_name)
            if r.status == ServiceRequest.Status.CANCELLED or deadline is None or not start <= deadline < end:
                continue
            if done is not None:
                decided += 1
                met += done <= deadline
            elif deadline < now and r.paused_since is None:
                decided += 1
        figures[f"{step}_total"], figures[f"{step}_on_time"] = decided, met
        figures[f"{step}_rate"] = queries.ratio(met, decided)
    return figures


def row_figures(row) -> dict:
    return queries.figures_of([row])


def test_the_rollup_holds_the_figures_of_the_rows(ledger):
    cast = ledger
    month = this_month()
    actions.refresh_rollups(estate=cast.estate, month=month)
    expected = expected_figures(cast.estate, month)
    estate_row = MonthlyRollup.objects.get(estate=cast.estate, month=month, scope=Scope.ESTATE)
    got = row_figures(estate_row)
    assert {name: got[name] for name in expected} == expected
    # The ledger above is not empty in any figure: each is really compared.
    assert expected["rated"] == 4 and expected["satisfied"] == 2 and expected["complaints"] == 2
    assert expected["respond_total"] == 3 and expected["respond_on_time"] == 1 and expected["overdue_now"] >= 1
    assert expected["approvals_waiting"] == 1 and expected["arrears"] > 0
    for zone in (cast.zone_a, cast.zone_b):
        zone_row = MonthlyRollup.objects.get(estate=cast.estate, month=month, scope=Scope.ZONE, scope_id=zone.pk)
        zone_expected = expected_figures(cast.estate, month, zone=zone)
        got = row_figures(zone_row)
        assert {name: got[name] for name in zone_expected} == zone_expected
    # Per person: the butler's assigned request's ratings.
    person = MonthlyRollup.objects.get(estate=cast.estate, month=month, scope=Scope.ASSIGNEE, scope_id=cast.butler.pk)
    assert (person.rated, person.satisfied) == (2, 2)


def test_refreshing_twice_changes_nothing_and_leaves_no_stale_rows(ledger):
    cast = ledger
    month = this_month()
    actions.refresh_rollups(estate=cast.estate, month=month)
    actions.refresh_rollups(estate=cast.estate, day=actions.local_today())
    first = sorted(
        MonthlyRollup.objects.values_list("scope", "scope_id", "receivable", "rated", "respond_total", "overdue_now")
    )
    actions.refresh_rollups(estate=cast.estate, month=month)
    actions.refresh_rollups(estate=cast.estate, day=actions.local_today())
    again = sorted(
        MonthlyRollup.objects.values_list("scope", "scope_id", "receivable", "rated", "respond_total", "overdue_now")
    )
    assert first == again
    assert DailyRollup.objects.filter(estate=cast.estate, scope=Scope.ESTATE).count() == 1
    # A zone whose figures are gone loses its row.
    ServiceRequest.objects.filter(zone=cast.zone_b).update(zone=cast.zone_a)
    Bill.objects.filter(unit=cast.unit_b).delete()
    actions.refresh_rollups(estate=cast.estate, month=month)
    assert not MonthlyRollup.objects.filter(scope=Scope.ZONE, scope_id=cast.zone_b.pk, month=month).exists()


def test_the_workbench_and_the_api_show_the_rollups_figures(ledger, client_as):
    cast = ledger
    month = this_month()
    client = client_as("manager")
    response = client.get(reverse("reports:workbench", args=[cast.estate.pk]))
    assert response.status_code == 200
    expected = expected_figures(cast.estate, month)
    shown = {tile["key"]: tile["value"] for tile in response.context["tiles"]}
    for key in ("collection_rate", "satisfaction_rate", "respond_rate", "arrive_rate", "resolve_rate"):
        assert shown[key] == expected[key], key
    for key in ("overdue_now", "complaints", "approvals_waiting"):
        assert shown[key] == expected[key], key
    year = [money.add_months(month, -back) for back in range(month.month)]
    ytd_bills = Bill.objects.filter(estate=cast.estate, period_start__in=year).exclude(status="reversed")
    # The year to date from the rows (the months before this one come from their own refresh).
    for earlier in year[1:]:
        actions.refresh_rollups(estate=cast.estate, month=earlier)
    ytd = queries.ratio(sum(b.paid_amount for b in ytd_bills), sum(b.amount for b in ytd_bills))
    data = queries.estate_figures(cast.estate, actions.local_today())
    assert data["figures"]["collection_rate_ytd"] == ytd
    html = response.content.decode()
    assert 'data-tile="satisfaction_rate"' in html
    from guanjia.core.display import rate

    assert rate(expected["satisfaction_rate"]) in html and rate(expected["collection_rate"]) in html

    api = client.get(f"/api/v1/estates/{cast.estate.pk}/figures").json()
    for key in ("collection_rate", "collection_rate_ytd", "satisfaction_rate", "respond_rate", "resolve_rate"):
        value = api["figures"][key]
        wanted = expected.get(key, ytd if key == "collection_rate_ytd" else None)
        assert (D(str(value)) if value is not None else None) == wanted, key
    for key in ("overdue_now", "complaints", "approvals_waiting", "rated", "satisfied"):
        assert api["figures"][key] == expected[key], key
    assert len(api["trend"]) == 12
    # Per person: the butler was assigned the request rated 5 and 4.
    (butler,) = [row for row in api["people"] if row["user_id"] == cast.butler.pk]
    assert (butler["rated"], butler["satisfied"], D(butler["satisfaction_rate"])) == (2, 2, D("1"))
    assert "周管家" in html


def test_the_company_workbench_sums_the_estates_rows(ledger, client_as):
    cast = ledger
    month = this_month()
    for estate in (cast.estate, cast.other_estate):
        actions.refresh_rollups(estate=estate, month=month)
    mine = expected_figures(cast.estate, month)
    client = client_as("manager")
    response = client.get(reverse("reports:company"))
    assert response.status_code == 200
    data = response.context["data"]
    # The manager holds a post in one estate: the company view is that estate's, nothing more.
    assert [row["estate_id"] for row in data["estates"]] == [cast.estate.pk]
    assert data["figures"]["collection_rate"] == mine["collection_rate"]
    assert data["figures"]["satisfaction_rate"] == mine["satisfaction_rate"]
    api = client.get("/api/v1/figures/company").json()
    assert [row["estate_id"] for row in api["estates"]] == [cast.estate.pk]
    assert api["figures"]["rated"] == mine["rated"]


@EXAMPLES
@given(st.lists(st.integers(min_value=1, max_value=5), max_size=12))
def test_the_satisfaction_rate_is_satisfied_over_rated_for_any_ratings(cast, scores):
    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            service_request = make_request(cast, zone=cast.zone_a, hours_ago=1, status=ServiceRequest.Status.CLOSED)
            for score in scores:
                rate_request(cast, service_request, score, hours_ago=0.1)
            actions.refresh_rollups(estate=cast.estate, month=this_month())
            row = MonthlyRollup.objects.get(estate=cast.estate, month=this_month(), scope=Scope.ESTATE)
            satisfied = sum(1 for score in scores if score >= 4)
            assert (row.rated, row.satisfied) == (len(scores), satisfied)
            figures = queries.estate_figures(cast.estate, actions.local_today())["figures"]
            expected = (
                None if not scores else (D(satisfied) / D(len(scores))).quantize(D("0.0001"), rounding="ROUND_HALF_UP")
            )
            assert figures["satisfaction_rate"] == expected
            raise Rollback
    except Rollback:
        pass


def test_targets_default_and_the_manager_sets_them(cast, client_as):
    client = client_as("manager")
    assert queries.targets_of(cast.estate.pk)["collection_rate"] == D("0.95")
    url = reverse("reports:targets", args=[cast.estate.pk])
    response = client.post(url, {"collection_rate": "92.5", "satisfaction_rate": "88", "on_time_rate": "90"})
    assert response.status_code == 302
    assert queries.targets_of(cast.estate.pk) == {
        "collection_rate": D("0.9250"),
        "satisfaction_rate": D("0.8800"),
        "on_time_rate": D("0.9000"),
    }
    refused = client.post(url, {"collection_rate": "120", "satisfaction_rate": "88", "on_time_rate": "90"})
    assert refused.status_code == 200
    assert queries.targets_of(cast.estate.pk)["collection_rate"] == D("0.9250")


def test_the_butler_workbench_shows_their_zones_figures(ledger, client_as):
    cast = ledger
    client = client_as("butler")
    response = client.get(reverse("reports:butler", args=[cast.estate.pk]))
    assert response.status_code == 200
    expected = expected_figures(cast.estate, this_month(), zone=cast.zone_a)
    figures = response.context["figures"]
    for key in ("open_now", "overdue_now", "return_visits_due", "arrears", "collection_rate", "satisfaction_rate"):
        assert figures[key] == expected[key], key
    assert [item.zone_id for item in response.context["open_requests"]] == [cast.zone_a.pk]


def test_a_workbench_refreshes_today_only_when_stale_and_the_night_refreshes_every_estate(ledger):
    cast = ledger
    now = timezone.now()
    assert actions.refresh_if_stale(cast.estate, now=now) is True
    assert actions.refresh_if_stale(cast.estate, now=now + actions.STALE_AFTER / 2) is False
    assert actions.refresh_if_stale(cast.estate, now=now + actions.STALE_AFTER * 2) is True
    DailyRollup.objects.all().delete()
    MonthlyRollup.objects.all().delete()
    assert actions.refresh_nightly(now=now) == 2
    today = actions.local_today(now)
    for estate in (cast.estate, cast.other_estate):
        assert DailyRollup.objects.filter(estate=estate, day=today - dt.timedelta(days=1), scope=Scope.ESTATE).exists()
        assert MonthlyRollup.objects.filter(estate=estate, month=today.replace(day=1), scope=Scope.ESTATE).exists()

"""The billing run: every unit of an estate billed for a month, in batches, as a queued job
with its progress."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.billing import queries
from guanjia.billing.actions.checks import check_period_start, refuse_problems
from guanjia.billing.actions.payments import apply_prepaid
from guanjia.billing.actions.plan import BillingPlan, BillRow
from guanjia.billing.models import BILLING_JOB, Bill, BillingRun
from guanjia.core import jobs
from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.core.jobs import set_progress
from guanjia.core.models import Job
from guanjia.core.sql import copy_rows
from guanjia.estates.models import Estate

logger = logging.getLogger(__name__)
BILLING_STAGE = "billing"  # the job's stage while a worker runs it


def insert_bills(bills: list[BillRow]) -> None:
    """Insert one batch in one transaction; lines already on file are skipped by the unique
    constraint, so a batch may be inserted any number of times. The plan has already left out
    the lines on file when the run started, so a conflict only means that another run inserted
    some of them meanwhile (core.sql.copy_rows then takes the slower way for this batch)."""
    copy_rows(Bill, BillRow._fields, bills, ignore_conflicts=True)


def check_billing_run(*, estate: Estate, period_start: datetime.date) -> None:
    """Refuse what would stop a run (an area missing on a unit being billed, incomplete
    tiers) before anything is written or queued."""
    plan = BillingPlan(estate, check_period_start(period_start))
    refuse_problems(plan.problems_with(queries.billable_units(estate)))


@dataclass(frozen=True)
class RunPreview:
    """What a run for the month would add, computed before anything is written."""

    period_start: datetime.date
    units: int
    bills: int
    total: Decimal
    future: bool  # a month that has not begun yet: bills issued early need a second look


def preview_billing_run(*, estate: Estate, period_start: datetime.date, today: datetime.date) -> RunPreview:
    """The lines a run would add now (those not on file yet) and their total; refuses what
    would stop the run, as the run itself does. Reads only: the page shows this and asks for
    a confirmation before the run is queued."""
    check_period_start(period_start)
    plan = BillingPlan(estate, period_start)
    units = queries.billable_units(estate)
    refuse_problems(plan.problems_with(units))
    draft = BillingRun(estate=estate, period_start=period_start)  # never saved: lines_for reads its ids
    lines = [line for unit in units for line in plan.lines_for(unit, draft)]
    return RunPreview(
        period_start=period_start,
        units=len(units),
        bills=len(lines),
        total=sum((line.amount for line in lines), Decimal("0.00")),
        future=period_start > today.replace(day=1),
    )


def run_billing(
    *,
    actor: User | None,
    estate: Estate,
    period_start: datetime.date,
    job_id: int | None = None,
    batch_size: int = 2000,
) -> BillingRun:
    """Bill every unit of the estate for every active item due in the month.

    Idempotent by the bill's unique constraint (unit, item, period start): running again,
    or after a run was killed half-way, inserts only the missing lines, and the lines
    already on file are left exactly as they are. Everything that could stop a line is
    checked before the first write, so a refused run writes nothing at all.

    Not one atomic block on purpose: each batch commits on its own so that progress is
    visible to the page and a killed run keeps its finished batches (the rerun fills in
    the rest). Each batch itself is atomic. A job's run is resumed, not started again: the
    job's unfinished run goes on (its lines count as its own), and the follow-up steps
    (prepaid balances, the audit row) are done once, by the run that finishes it."""
    check_period_start(period_start)
    plan = BillingPlan(estate, period_start)
    units = queries.billable_units(estate)
    refuse_problems(plan.problems_with(units))

    run = run_of_job(job_id) if job_id is not None else None
    if run is None:
        run = BillingRun.objects.create(
            estate=estate, period_start=period_start, units_total=len(units), job_id=job_id, started_by=actor
        )
    elif run.status == BillingRun.Status.FINISHED:
        return run  # killed after the run was recorded finished: only the job was left to finish
    planned = insert_in_batches(run, plan, units, job_id=job_id, batch_size=batch_size)
    # Prepaid balances (预收) draw on the new bills at once. Safe to repeat: a resumed run
    # applies only what a killed one had not yet applied.
    for unit in queries.units_with_prepaid(estate):
        apply_prepaid(actor=actor, unit=unit)
        if job_id is not None:
            jobs.renew_lease(job_id)
    finish_run(run, actor=actor, units_total=len(units), planned=planned)
    run.refresh_from_db()
    return run


def run_of_job(job_id: int) -> BillingRun | None:
    """The run a job started before its worker died (resumed), if any."""
    return BillingRun.objects.filter(job_id=job_id).exclude(status=BillingRun.Status.FAILED).order_by("-pk").first()


@transaction.atomic
def finish_run(run: BillingRun, *, actor: User | None, units_total: int, planned: int) -> None:
    """Record the run finished and write its audit row, in one transaction and only from a
    run still running: of two workers on one run (a resumed job whose first worker was only
    slow), one writes the audit row, and a worker killed here leaves the run to resume."""
    created = Bill.objects.filter(billing_run=run).count()
    finished = BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.RUNNING).update(
        status=BillingRun.Status.FINISHED,
        finished_at=timezone.now(),
        units_total=units_total,
        units_done=units_total,
        lines_planned=planned,
        lines_created=created,
    )
    if not finished:
        return
    record_change(
        actor=actor,
        target=run,
        verb="run_billing",
        estate_id=run.estate_id,
        changes={"period_start": [None, str(run.period_start)], "lines_created": [None, created]},
        note=_("%(planned)d lines missing, %(created)d inserted") % {"planned": planned, "created": created},
    )


def insert_in_batches(
    run: BillingRun, plan: BillingPlan, units: list[queries.BillableUnit], *, job_id: int | None, batch_size: int
) -> int:
    """Insert the units' missing lines batch by batch, recording the progress after each;
    returns how many lines were planned. A batch that fails marks the run failed."""
    if job_id is not None:
        set_progress(job_id, 0, len(units))
    planned = 0
    try:
        for offset in range(0, len(units), batch_size):
            batch = units[offset : offset + batch_size]
            bills = [bill for unit in batch for bill in plan.lines_for(unit, run)]
            planned += len(bills)
            insert_bills(bills)
            done = offset + len(batch)
            BillingRun.objects.filter(pk=run.pk).update(units_done=done, lines_planned=planned)
            if job_id is not None:
                set_progress(job_id, done, len(units))
    except Exception as error:
        BillingRun.objects.filter(pk=run.pk).update(
            status=BillingRun.Status.FAILED, finished_at=timezone.now(), message=str(error)[:1000]
        )
        raise
    return planned


# -- The billing run as a background job ----------------------------------------------------


def start_billing_run(
    *, actor: User | None, estate: Estate, period_start: datetime.date, batch_size: int = 2000
) -> Job:
    """Queue a billing run; the page polls the returned job for its progress bar. What would
    stop the run is refused here, before anything is queued (the run checks again itself
    when it starts, as things may change meanwhile)."""
    check_billing_run(estate=estate, period_start=period_start)
    with transaction.atomic():
        job = jobs.start_job(
            BILLING_JOB,
            estate.pk,
            actor,
            params={"period_start": period_start.isoformat(), "batch_size": batch_size},
        )
        jobs.queue_job(job, "billing.run")
    return job


def run_billing_job(*, job_id: int) -> None:
    """The worker's side. Safe to run twice, or after a killed run: the claim lets one
    delivery through, and a job resumed after its worker died (core.jobs) goes on with the
    run it had started. Any error fails the job with a message for its person: a job is
    never left running."""
    if not jobs.claim_job(job_id, from_stage="", to_stage=BILLING_STAGE):
        return  # finished, or another worker has it
    job = Job.objects.select_related("created_by").get(pk=job_id)
    try:
        if job.estate_id is None:  # start_billing_run always names one
            raise Estate.DoesNotExist
        run = run_billing(
            actor=job.created_by,
            estate=Estate.objects.get(pk=job.estate_id),
            period_start=datetime.date.fromisoformat(job.params["period_start"]),
            job_id=job.pk,
            batch_size=int(job.params.get("batch_size", 2000)),
        )
    except DomainError as error:
        jobs.fail_job(job.pk, error.message, result=error.as_dict())
        return
    except Exception:
        logger.exception("Billing job %s failed", job_id)
        jobs.fail_job(
            job.pk,
            _(
                "An unexpected error stopped the billing run. The bills already written are kept "
                "and will not be written twice; please start the run again."
            ),
        )
        raise
    jobs.finish_job(job.pk, {"run": run.pk, "lines_created": run.lines_created, "units": run.units_total})

"""Background jobs of billing: thin wrappers that take IDs and call actions."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanjia.billing import actions
from guanjia.core.queue import job


@job("billing.run")
def billing_run_task(job_id: int) -> None:
    actions.run_billing_job(job_id=job_id)


# Huey's crontab is in UTC: 00:30 UTC is 08:30 in Shanghai.
@db_periodic_task(crontab(hour="0", minute="30"))
def remind_promised_payments_daily() -> None:
    """Each morning: remind butlers and finance of the promises to pay that fall due."""
    actions.remind_promised_payments()


@db_task()
def remind_promised_payments_task(today: str | None = None) -> list[int]:
    """The same run on demand; `today` (ISO date) catches up a missed day and lets a test
    drive the worker with a fixed date. Returns the ids of the entries followed up."""
    return actions.remind_promised_payments(today=dt.date.fromisoformat(today) if today else None)

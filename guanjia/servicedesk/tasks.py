"""Background jobs of the service desk: thin wrappers over actions, safe to run twice."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanjia.servicedesk import actions


@db_periodic_task(crontab(minute="*"))
def escalate_overdue_every_minute() -> None:
    actions.escalate_overdue()


@db_task()
def escalate_overdue_task(now: str | None = None) -> int:
    """One escalation run, on demand: `now` (ISO 8601) catches up a moment that was missed
    (and lets a test drive the worker with a fixed clock). Returns how many rungs were new."""
    moment = dt.datetime.fromisoformat(now) if now else None
    return len(actions.escalate_overdue(now=moment))

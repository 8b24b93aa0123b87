"""Background jobs of the front desk: thin wrappers over actions, safe to run twice."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanjia.frontdesk import actions


@db_periodic_task(crontab(minute="*/5"))
def desk_alerts_every_five_minutes() -> None:
    actions.send_desk_alerts()


@db_task()
def desk_alerts_task(now: str | None = None) -> int:
    """One reminder run, on demand: `now` (ISO 8601) catches up a moment that was missed
    (and lets a test drive the worker with a fixed clock). Returns how many reminders were new."""
    moment = dt.datetime.fromisoformat(now) if now else None
    return actions.send_desk_alerts(now=moment)

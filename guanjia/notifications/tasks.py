"""The outbox's worker jobs: deliver right after a commit, and retry every minute."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanjia.core.queue import job
from guanjia.notifications import actions


@job("notifications.deliver")
def deliver_outbox(now: str | None = None) -> int:
    """Send what is due. `now` (ISO 8601) delivers as of a later moment: what a retry at
    that time would send (and lets a test drive the worker past a back-off)."""
    return actions.deliver_due(dt.datetime.fromisoformat(now) if now else None)


@db_periodic_task(crontab(minute="*"))
def retry_outbox_every_minute() -> None:
    actions.deliver_due()

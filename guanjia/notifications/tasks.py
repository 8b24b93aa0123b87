"""The outbox's worker jobs: deliver right after a commit, and retry every minute."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanjia.notifications import actions


@db_task()
def deliver_outbox() -> int:
    return actions.deliver_due()


@db_periodic_task(crontab(minute="*"))
def retry_outbox_every_minute() -> None:
    actions.deliver_due()

"""Background jobs of reports: thin wrappers that call actions."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanjia.reports import actions


# Huey's crontab is in UTC: 16:20 UTC is 00:20 in Shanghai, just after the day ends there.
@db_periodic_task(crontab(hour="16", minute="20"))
def refresh_rollups_nightly() -> int:
    """Each night: yesterday's and this month's rollups of every estate."""
    return actions.refresh_nightly()


@db_task()
def refresh_estate_task(estate_id: int, months: int = 12) -> None:
    """The rollups of one estate's last months on demand (a new estate, a corrected ledger)."""
    actions.backfill(estate=estate_id, months=months)

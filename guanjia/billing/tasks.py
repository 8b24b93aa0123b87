"""Background jobs of billing: thin wrappers that take IDs and call actions."""

from huey.contrib.djhuey import db_task

from guanjia.billing import actions


@db_task()
def billing_run_task(job_id: int) -> None:
    actions.run_billing_job(job_id=job_id)

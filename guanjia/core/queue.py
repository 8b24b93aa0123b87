"""Work for the worker, queued by name once the transaction commits.

Tasks import actions, never the reverse: an action that starts background work says which job
by name (`queue_after_commit("billing.run", job.pk)`), and the app's tasks.py declares that job
with `@job("billing.run")`. Every app's tasks module is imported at start-up (CoreConfig.ready,
as the worker does), so the names are known in web and worker processes alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from huey.contrib.djhuey import db_task

_jobs: dict[str, Any] = {}


def job(name: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Declare a worker task under `name` (huey's db_task, with its options)."""

    def declare(function: Callable[..., Any]) -> Any:
        if name in _jobs:
            raise ValueError(f"Two jobs are named {name!r}.")
        task = db_task(**options)(function)
        _jobs[name] = task
        return task

    return declare


def queue_after_commit(name: str, *args: Any) -> None:
    """Queue the job `name` with `args` when the current transaction commits (at once outside
    one). An unknown name fails now, in the action, not later in the worker."""
    task = _jobs[name]
    transaction.on_commit(lambda: task(*args))

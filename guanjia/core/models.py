from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Change(models.Model):
    """One write to one record: who, when, what changed (the audit trail).

    `estate_id` is a plain integer so that core depends on no domain app; it scopes who may
    read the history. Personal data is stored masked in `changes`, never in clear.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    estate_id = models.BigIntegerField(null=True, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    verb = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="change_target_idx")]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.verb} {self.content_type_id}:{self.object_id}"


class Job(models.Model):
    """A background job's progress, polled by the page that started it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=40)
    estate_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=60, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    # The lease (core.jobs): until when the queued task or the worker running it answers for
    # the job. A worker renews it as it reports progress; a job whose lease ran out has lost
    # its worker and is resumed by the sweep. None while nobody works on it (it waits for a
    # person, or it is finished).
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    task = models.CharField(max_length=60, blank=True)  # the queued task's name (core.queue)
    resume_stage = models.CharField(max_length=60, blank=True)  # where a resumed run starts again
    attempts = models.PositiveSmallIntegerField(default=0)  # how many times a worker took it

    class Meta:
        indexes = [
            models.Index(fields=["lease_expires_at"], condition=Q(lease_expires_at__isnull=False), name="job_lease_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

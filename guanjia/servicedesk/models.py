"""The service desk: closed-loop requests (工单) with first-responder ownership (首问负责制),
service levels and escalation.

The life cycle is the table TRANSITIONS below; every change goes through
guanjia.servicedesk.actions.lifecycle.transition, which writes one RequestEvent per change.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceRequest(models.Model):
    """One owner request, from intake until the owner confirms it is done."""

    class Kind(models.TextChoices):
        INQUIRY = "inquiry", _("Inquiry")
        REPAIR_IN_UNIT = "repair_in_unit", _("Repair in the unit")
        REPAIR_COMMON = "repair_common", _("Common-area repair")
        COMPLAINT = "complaint", _("Complaint")
        SUGGESTION = "suggestion", _("Suggestion")
        PRAISE = "praise", _("Praise")
        AGENCY = "agency", _("Agency service")
        HOUSEKEEPING = "housekeeping", _("Housekeeping")
        PAID_SERVICE = "paid_service", _("Paid service")
        SPECIAL_NEED = "special_need", _("Special need")
        MOVE_IN = "move_in", _("Move-in service")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        WALK_IN = "walk_in", _("Walk-in")
        PORTAL = "portal", _("Owner portal")
        BUTLER_VISIT = "butler_visit", _("Butler visit")
        PATROL = "patrol", _("Patrol finding")

    class Priority(models.TextChoices):
        EMERGENCY = "emergency", _("Emergency")
        URGENT = "urgent", _("Urgent")
        NORMAL = "normal", _("Normal")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Newly received")  # not "Received": that msgid is a parcel time
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING_PARTS = "waiting_parts", _("Waiting for parts")
        WAITING_OWNER = "waiting_owner", _("Waiting for the owner")
        RESOLVED = "resolved", _("Resolved")
        RETURN_VISIT = "return_visit", _("Return visit done")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    estate = models.ForeignKey(
        "estates.Estate", on_delete=models.PROTECT, related_name="requests", verbose_name=_("estate")
    )
    unit = models.ForeignKey(
        "estates.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("unit"),
    )
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("caller"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    priority = models.CharField(_("priority"), max_length=12, choices=Priority.choices, default=Priority.NORMAL)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="first_responded_requests",
        verbose_name=_("first responder"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_requests",
        verbose_name=_("assignee"),
    )
    zone = models.ForeignKey(
        "estates.Zone", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("zone")
    )
    received_at = models.DateTimeField(_("received at"))
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    arrive_by = models.DateTimeField(_("arrive by"), null=True, blank=True)
    resolve_by = models.DateTimeField(_("resolve by"), null=True, blank=True)
    return_visit_by = models.DateTimeField(_("return visit by"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused seconds"), default=0)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=300, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("service request")
        indexes = [
            models.Index(fields=["estate", "status", "received_at"], name="request_board_idx"),
            models.Index(fields=["first_responder", "status"], name="request_first_responder_idx"),
            models.Index(fields=["assignee", "status"], name="request_assignee_idx"),
            models.Index(fields=["person", "received_at"], name="request_person_idx"),
            # The head butler's board reads only the requests still on it; nearly every request
            # an estate ever had is finished, so a partial index keeps the board's read small.
            models.Index(
                fields=["estate", "resolve_by"],
                name="request_open_board_idx",
                condition=~models.Q(status__in=["closed", "cancelled"]),
            ),
        ]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None


S = ServiceRequest.Status

# Statuses in which someone still has to act before the request is resolved.
OPEN_STATUSES = frozenset({S.RECEIVED, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_PARTS, S.WAITING_OWNER})
# Statuses that count against "my loops" and the board: everything but the two ends.
FINISHED_STATUSES = frozenset({S.CLOSED, S.CANCELLED})

# status -> {action: next status}. Anything not in here is refused.
TRANSITIONS: dict[str, dict[str, str]] = {
    S.RECEIVED: {"assign": S.ASSIGNED, "cancel": S.CANCELLED},
    S.ASSIGNED: {"assign": S.ASSIGNED, "start": S.IN_PROGRESS, "cancel": S.CANCELLED},
    S.IN_PROGRESS: {
        "assign": S.ASSIGNED,
        "wait_parts": S.WAITING_PARTS,
        "wait_owner": S.WAITING_OWNER,
        "resolve": S.RESOLVED,
        "cancel": S.CANCELLED,
    },
    S.WAITING_PARTS: {"resume": S.IN_PROGRESS, "cancel": S.CANCELLED},
    S.WAITING_OWNER: {"resume": S.IN_PROGRESS, "cancel": S.CANCELLED},
    # "close" straight from resolved only when no return visit is due (checked by the action).
    # "owner_confirm" is the owner's own confirmation and rating in the portal: it closes the
    # request whether or not staff made the return visit first, and is taken on a request
    # already closed too (it is then recorded, the status unchanged), so that the owner's word
    # is never lost; once per resolution (checked by the action).
    S.RESOLVED: {"return_visit": S.RETURN_VISIT, "reopen": S.ASSIGNED, "close": S.CLOSED, "owner_confirm": S.CLOSED},
    S.RETURN_VISIT: {"close": S.CLOSED, "reopen": S.ASSIGNED, "owner_confirm": S.CLOSED},
    S.CLOSED: {"reopen": S.ASSIGNED, "owner_confirm": S.CLOSED},
    S.CANCELLED: {},
}


def next_status(status: str, action: str) -> str | None:
    return TRANSITIONS.get(status, {}).get(action)


class RequestEvent(models.Model):
    """One change of a request: who, when, from, to, why (the timeline)."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="events", verbose_name=_("request")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"))
    from_status = models.CharField(_("from"), max_length=16, choices=ServiceRequest.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=ServiceRequest.Status.choices)
    action = models.CharField(_("action"), max_length=20)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("request event")
        indexes = [models.Index(fields=["request", "at"], name="request_event_idx")]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status} -> {self.to_status}"


class ServiceLevel(models.Model):
    """An estate's own time limits for one kind and priority; None means no limit.
    Without a row the defaults in deadlines.DEFAULT_ALLOWANCES apply."""

    estate = models.ForeignKey(
        "estates.Estate", on_delete=models.PROTECT, related_name="service_levels", verbose_name=_("estate")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceRequest.Kind.choices)
    priority = models.CharField(_("priority"), max_length=12, choices=ServiceRequest.Priority.choices)
    respond_minutes = models.PositiveIntegerField(_("minutes to respond"), null=True, blank=True)
    arrive_minutes = models.PositiveIntegerField(_("minutes to arrive"), null=True, blank=True)
    resolve_minutes = models.PositiveIntegerField(_("minutes to resolve"), null=True, blank=True)
    return_visit_minutes = models.PositiveIntegerField(_("minutes to return visit"), null=True, blank=True)

    class Meta:
        verbose_name = _("service level")
        constraints = [
            models.UniqueConstraint(fields=["estate", "kind", "priority"], name="service_level_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.estate_id} {self.kind}/{self.priority}"


class ReturnVisit(models.Model):
    """A return visit (回访) after resolution: how, satisfaction 1–5, solved or not."""

    class How(models.TextChoices):
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Visit")
        PORTAL = "portal", _("Owner portal")

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="return_visits", verbose_name=_("request")
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"))
    how = models.CharField(_("how"), max_length=10, choices=How.choices)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"))
    solved = models.BooleanField(_("solved"))
    owner_words = models.TextField(_("owner's words"), blank=True)

    class Meta:
        verbose_name = _("return visit")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5), name="return_visit_satisfaction_1_5"
            ),
        ]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.satisfaction}"

    @property
    def satisfied(self) -> bool:
        return self.solved and self.satisfaction >= SATISFIED_FROM

    @property
    def by_owner(self) -> bool:
        """The owner's own answer in the portal, as opposed to the staff's return visit: both
        are kept, each its own row."""
        return self.how == self.How.PORTAL


# A rating of 3 ("acceptable") or more, with the problem solved, lets the request close.
SATISFIED_FROM = 3


class ComplaintDetails(models.Model):
    """What a complaint is about, whether it is valid (有效投诉) and who answers for it."""

    class Category(models.TextChoices):
        ATTITUDE = "attitude", _("Service attitude")
        REPAIR = "repair", _("Repair quality or speed")
        RESPONSE = "response", _("Slow response")
        FEES = "fees", _("Fees and charges")
        SECURITY = "security", _("Security and order")
        CLEANING = "cleaning", _("Cleaning")
        GREENING = "greening", _("Greening")
        PARKING = "parking", _("Parking")
        NOISE = "noise", _("Noise and neighbours")
        FACILITIES = "facilities", _("Facilities and equipment")
        RENOVATION = "renovation", _("Renovation")
        OTHER = "other", _("Other")

    class Validity(models.TextChoices):
        PENDING = "pending", _("To be decided")
        VALID = "valid", _("Valid complaint")
        INVALID = "invalid", _("Not a valid complaint")

    class Department(models.TextChoices):
        BUTLER = "butler", _("Butler department")
        FRONT_DESK = "front_desk", _("Front desk")
        ENGINEERING = "engineering", _("Engineering")
        SECURITY = "security", _("Security")
        CLEANING = "cleaning", _("Cleaning")
        GREENING = "greening", _("Greening")
        FINANCE = "finance", _("Finance")
        GENERAL_AFFAIRS = "general_affairs", _("General affairs")
        DEVELOPER = "developer", _("Developer")
        OTHER = "other", _("Other")

    request = models.OneToOneField(
        ServiceRequest, on_delete=models.PROTECT, related_name="complaint", verbose_name=_("request")
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    validity = models.CharField(_("validity"), max_length=10, choices=Validity.choices, default=Validity.PENDING)
    department = models.CharField(_("responsible department"), max_length=20, choices=Department.choices, blank=True)

    class Meta:
        verbose_name = _("complaint details")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.category or '-'}"


class Escalation(models.Model):
    """One rung of the escalation ladder reached for one deadline of one request.

    The unique constraint is what makes the escalation job idempotent: a second run
    finds the rung already there and notifies nobody."""

    class Rung(models.TextChoices):
        ASSIGNEE = "assignee", _("Assignee")
        HEAD_BUTLER = "head_butler", _("Head butler")
        MANAGER = "manager", _("Manager")
        DUTY_MANAGER = "duty_manager", _("Duty manager")

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="escalations", verbose_name=_("request")
    )
    rung = models.CharField(_("rung"), max_length=16, choices=Rung.choices)
    deadline = models.CharField(_("deadline"), max_length=30)
    notified = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("notified")
    )
    due_at = models.DateTimeField(_("due at"))
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("escalation")
        constraints = [
            models.UniqueConstraint(fields=["request", "deadline", "rung"], name="escalation_once_per_rung"),
        ]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.deadline} {self.rung}"


class DutyManager(models.Model):
    """The estate's 24-hour duty manager (值班经理) for one duty day, until the roster exists."""

    estate = models.ForeignKey(
        "estates.Estate", on_delete=models.PROTECT, related_name="duty_managers", verbose_name=_("estate")
    )
    date = models.DateField(_("date"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("duty manager")
    )

    class Meta:
        verbose_name = _("duty manager")
        constraints = [models.UniqueConstraint(fields=["estate", "date"], name="duty_manager_unique_per_day")]

    def __str__(self) -> str:
        return f"{self.estate_id} {self.date}: {self.user_id}"


def photo_path(instance: RequestPhoto, filename: str) -> str:
    """Stored under the request's estate and a random name: the uploaded name is never trusted."""
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(instance.content_type, "bin")
    return f"requests/{instance.request.estate_id}/{uuid.uuid4().hex}.{extension}"


class RequestPhoto(models.Model):
    """A photo of the problem (or of the finished work), checked by content to be an image."""

    class Stage(models.TextChoices):
        # Empty: the problem as reported. The field worker's photos before and after the work.
        BEFORE = "before", _("Before the work")
        AFTER = "after", _("After the work")

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="photos", verbose_name=_("request")
    )
    file = models.FileField(_("file"), upload_to=photo_path)
    content_type = models.CharField(_("content type"), max_length=20)
    size = models.PositiveIntegerField(_("size"))
    original_name = models.CharField(_("original name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, blank=True, default="")

    class Meta:
        verbose_name = _("request photo")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.original_name or self.pk}"


class RequestCall(models.Model):
    """A call to the request's contact from its page (the call button): who called whom, when.
    The number itself goes only to the caller's phone, never onto the page of someone who may
    not see it whole."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="calls", verbose_name=_("request")
    )
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("caller"))
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("call to the contact")
        indexes = [models.Index(fields=["request", "at"], name="request_call_idx")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.caller_id} -> {self.person_id}"

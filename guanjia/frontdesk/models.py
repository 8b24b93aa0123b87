"""The front desk's custody ledger: entrusted keys and parcels, and every hand-over of them."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanjia.core.photos import PHOTO_EXTENSIONS

# A loan checked against an owner's authorization, as stored (see CustodyEvent.checked_how_text).
AUTHORIZATION_CHECK = re.compile(r"authorization #(\d+)")


class Key(models.Model):
    """A key the service center holds: an owner's entrusted key, a vacant house's, a facility's."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("Entrusted unit key")
        VACANT = "vacant", _("Vacant-house key")
        FACILITY = "facility", _("Facility key")

    class Status(models.TextChoices):
        IN_STORE = "in_store", _("In store")
        LENT = "lent", _("Lent out")
        LOST = "lost", _("Lost")
        DAMAGED = "damaged", _("Damaged")
        RETURNED_TO_OWNER = "returned_to_owner", _("Returned to the owner")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="keys")
    unit = models.ForeignKey("estates.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="keys")
    facility = models.CharField(_("facility"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    tag = models.CharField(_("key tag"), max_length=30)
    slot = models.CharField(_("storage slot"), max_length=30)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.IN_STORE)
    note = models.CharField(_("note"), max_length=200, blank=True)
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["estate", "tag"], name="key_tag_unique_per_estate"),
            models.CheckConstraint(
                condition=models.Q(kind="facility", unit__isnull=True)
                | (~models.Q(kind="facility") & models.Q(unit__isnull=False)),
                name="key_belongs_to_unit_or_facility",
            ),
        ]

    def __str__(self) -> str:
        return self.tag


class KeyAuthorization(models.Model):
    """The owner's word on who may borrow their key, for what, until when."""

    key = models.ForeignKey(Key, on_delete=models.PROTECT, related_name="authorizations")
    granted_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    borrower_name = models.CharField(_("borrower name"), max_length=50)
    borrower_phone = models.CharField(_("borrower phone"), max_length=20)
    purpose = models.CharField(_("purpose"), max_length=100)
    valid_until = models.DateField(_("valid until"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.key_id}: {self.borrower_name}"


class KeyLoan(models.Model):
    """One lending of a key. The partial unique constraint is what makes "never out twice" true
    even when two assistants press the button at the same moment."""

    key = models.ForeignKey(Key, on_delete=models.PROTECT, related_name="loans")
    authorization = models.ForeignKey(
        KeyAuthorization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    borrower_name = models.CharField(_("borrower name"), max_length=50)
    borrower_phone = models.CharField(_("borrower phone"), max_length=20)
    lent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lent_at = models.DateTimeField()
    due_at = models.DateTimeField(_("expected return"))
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(returned_at__isnull=True), name="key_never_out_twice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_id} → {self.borrower_name}"


class Parcel(models.Model):
    """A parcel or an item left at the desk for someone (托管物品), until it is handed over (传交)."""

    class Kind(models.TextChoices):
        PARCEL = "parcel", _("Parcel")
        ITEM = "item", _("Entrusted item")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for pickup")
        HANDED_OVER = "handed_over", _("Handed over")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="parcels")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PARCEL)
    # An entrusted item: what it is and how to reach whoever left it (left_by is their name).
    description = models.CharField(_("description"), max_length=100, blank=True)
    left_by_phone = models.CharField(_("depositor phone"), max_length=20, blank=True)
    unit = models.ForeignKey("estates.Unit", on_delete=models.PROTECT, related_name="parcels")
    courier = models.CharField(_("courier"), max_length=30, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    left_by = models.CharField(_("left by"), max_length=50, blank=True)
    recipient_name = models.CharField(_("recipient"), max_length=50)
    shelf = models.CharField(_("shelf"), max_length=20)
    pickup_code = models.CharField(max_length=6)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.WAITING)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    collected_by_name = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "tracking_number"],
                condition=~models.Q(tracking_number=""),
                name="parcel_tracking_number_once",
            ),
            models.UniqueConstraint(
                fields=["estate", "pickup_code"],
                condition=models.Q(status="waiting"),
                name="parcel_pickup_code_unique_while_waiting",
            ),
        ]
        indexes = [models.Index(fields=["estate", "status", "unit"], name="parcel_waiting_idx")]

    def __str__(self) -> str:
        return f"{self.tracking_number or self.pk} → {self.unit_id}"


class CustodyEvent(models.Model):
    """Who handed what to whom, when, and how it was checked. Never edited, never deleted."""

    class Action(models.TextChoices):
        KEY_REGISTERED = "key_registered", _("Key registered")
        KEY_LENT = "key_lent", _("Key lent")
        KEY_RETURNED = "key_returned", _("Key returned")
        KEY_LOST = "key_lost", _("Key reported lost")
        KEY_DAMAGED = "key_damaged", _("Key reported damaged")
        PARCEL_RECEIVED = "parcel_received", _("Parcel received")
        PARCEL_HANDED_OVER = "parcel_handed_over", _("Parcel handed over")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="+")
    key = models.ForeignKey(Key, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    parcel = models.ForeignKey(Parcel, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=24, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    counterpart = models.CharField(max_length=100, blank=True)
    checked_how = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["estate", "at"], name="custody_event_log_idx")]

    def __str__(self) -> str:
        return f"{self.action} at {self.at}"

    @property
    def checked_how_text(self) -> str:
        """How the borrower was checked, in the reader's language: a loan on an authorization is
        stored as "authorization #12" (language-neutral), anything else as typed at the desk."""
        match = AUTHORIZATION_CHECK.fullmatch(self.checked_how)
        if match:
            return str(_("authorization #%(id)s") % {"id": match.group(1)})
        return self.checked_how


def custody_photo_path(instance: CustodyPhoto, filename: str) -> str:
    """Stored under the estate and a random name: the uploaded name is never trusted."""
    extension = PHOTO_EXTENSIONS.get(instance.content_type, "bin")
    return f"custody/{instance.estate_id}/{uuid.uuid4().hex}.{extension}"


class CustodyPhoto(models.Model):
    """A photo of a key or of a parcel as it came in, checked by content to be an image: the
    desk can show what was handed over, and the recipient sees what arrived for them."""

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="+")
    key = models.ForeignKey(Key, null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    parcel = models.ForeignKey(Parcel, null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(_("file"), upload_to=custody_photo_path)
    content_type = models.CharField(_("content type"), max_length=20)
    size = models.PositiveIntegerField(_("size"))
    original_name = models.CharField(_("original name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("custody photo")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(key__isnull=False, parcel__isnull=True)
                | models.Q(key__isnull=True, parcel__isnull=False),
                name="custody_photo_of_key_or_parcel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_id or self.parcel_id}: {self.original_name or self.pk}"


class VisitorPass(models.Model):
    """An owner's pre-authorization for a visitor, shown at the desk as a QR code."""

    class Kind(models.TextChoices):
        ONE_TIME = "one_time", _("One-time")
        RECURRING = "recurring", _("Recurring")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("estates.Unit", on_delete=models.PROTECT, related_name="visitor_passes")
    issued_by = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    visitor_name = models.CharField(_("visitor"), max_length=50)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    token = models.CharField(max_length=43, unique=True)
    # The short code beside the QR, typed at the desk when the QR cannot be scanned
    # (guanjia/frontdesk/passcodes.py). Empty on passes issued before codes existed.
    code = models.CharField(_("pass code"), max_length=8, blank=True, default="")
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Never two passes of an estate with one code, valid or not: a typed code names one
            # pass (an expired one is refused as expired, not taken for another's).
            models.UniqueConstraint(
                fields=["estate", "code"], condition=~models.Q(code=""), name="visitor_pass_code_unique_per_estate"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_name} → {self.unit_id}"


class DoNotAdmit(models.Model):
    """An owner's instruction not to let a named person in (拒访)."""

    unit = models.ForeignKey("estates.Unit", on_delete=models.PROTECT, related_name="do_not_admit")
    name = models.CharField(_("name"), max_length=50)
    note = models.CharField(_("note"), max_length=200, blank=True)
    given_by = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    """A visitor let in at the desk: walk-in or on an owner's pass."""

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("estates.Unit", on_delete=models.PROTECT, related_name="visits")
    visitor_name = models.CharField(_("visitor"), max_length=50)
    visitor_phone = models.CharField(_("phone"), max_length=20, blank=True)
    purpose = models.CharField(_("purpose"), max_length=100, blank=True)
    visitor_pass = models.ForeignKey(VisitorPass, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_in_at = models.DateTimeField()
    checked_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["estate", "checked_in_at"], name="visit_log_idx")]

    def __str__(self) -> str:
        return f"{self.visitor_name} @ {self.checked_in_at}"


class Handover(models.Model):
    """One front-desk shift's handover note (交接班), with the open items listed for it."""

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="+")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    note = models.TextField(_("note"))
    open_items = models.JSONField(default=dict)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["estate", "acknowledged_at", "written_at"], name="handover_open_idx")]

    def __str__(self) -> str:
        return f"{self.estate_id} {self.written_at}"


class DeskSettings(models.Model):
    """Per-estate settings of the front desk's reminders."""

    estate = models.OneToOneField("estates.Estate", on_delete=models.PROTECT, related_name="+")
    unclaimed_days = models.PositiveSmallIntegerField(_("days before a parcel counts as unclaimed"), default=3)
    handover_ack_minutes = models.PositiveSmallIntegerField(
        _("minutes for the next shift to acknowledge a handover"), default=60
    )

    def __str__(self) -> str:
        return f"{self.estate_id}: {self.unclaimed_days} d, {self.handover_ack_minutes} min"

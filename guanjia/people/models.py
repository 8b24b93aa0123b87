from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanjia.core import crypto
from guanjia.core.masking import mask_id_number, mask_phone


class Person(models.Model):
    """An owner, co-owner, tenant or family member: one entry of the owner archive (业主档案)."""

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident ID card")
        PASSPORT = "passport", _("Passport")
        HK_MACAO_PERMIT = "hk_macao", _("Hong Kong/Macao travel permit")
        TAIWAN_PERMIT = "taiwan", _("Taiwan travel permit")
        OTHER = "other", _("Other")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="people")
    name = models.CharField(_("name"), max_length=50)
    # Pinyin forms for the front-desk search box: "zs" and "zhangsan" find 张三.
    name_initials = models.CharField(max_length=60, blank=True)
    name_pinyin = models.CharField(max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_tail = models.CharField(max_length=4, blank=True)
    email = models.EmailField(_("email"), blank=True)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID)
    # The ID number is stored encrypted; the masked form and a keyed digest sit beside it
    # so that lists and duplicate checks never decrypt.
    id_number_encrypted = models.TextField(blank=True)
    id_number_masked = models.CharField(_("ID number"), max_length=40, blank=True)
    id_number_digest = models.CharField(max_length=32, blank=True, db_index=True)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=50, blank=True)
    emergency_contact_phone = models.CharField(_("emergency contact phone"), max_length=20, blank=True)
    special_needs = models.TextField(_("special service needs"), blank=True)
    preferences = models.TextField(_("service preferences"), blank=True)
    note = models.TextField(_("note"), blank=True)
    archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["estate", "phone_tail"], name="person_phone_tail_idx"),
            models.Index(fields=["estate", "name"], name="person_name_idx"),
            # Prefix search (LIKE 'zs%') on PostgreSQL needs the pattern operator class.
            models.Index(
                fields=["estate", "name_initials"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="person_initials_idx",
            ),
            models.Index(
                fields=["estate", "name_pinyin"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="person_pinyin_idx",
            ),
            models.Index(
                fields=["estate", "name"], opclasses=["int8_ops", "varchar_pattern_ops"], name="person_name_prefix_idx"
            ),
            # The few names read more than one way (长孙 zhangsun / changsun): the search for a
            # later reading scans these alone (queries.by_other_readings), not the whole estate.
            models.Index(fields=["estate"], condition=Q(name_initials__contains=" "), name="person_initials_more_idx"),
            models.Index(fields=["estate"], condition=Q(name_pinyin__contains=" "), name="person_pinyin_more_idx"),
        ]
        ordering = ["estate_id", "name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def emergency_contact_phone_masked(self) -> str:
        return mask_phone(self.emergency_contact_phone)

    def reveal_id_number(self) -> str:
        """The clear ID number. Call only through people.actions.reveal_personal_data,
        which checks the capability and logs the read."""
        return crypto.decrypt(self.id_number_encrypted)

    def set_id_number(self, number: str) -> None:
        self.id_number_encrypted = crypto.encrypt(number)
        self.id_number_masked = mask_id_number(number)
        self.id_number_digest = crypto.blind_index(number)


class Residency(models.Model):
    """How a person stands to a unit."""

    class Relation(models.TextChoices):
        OWNER = "owner", _("Owner")
        CO_OWNER = "co_owner", _("Co-owner")
        TENANT = "tenant", _("Tenant")
        FAMILY = "family", _("Family member")

    unit = models.ForeignKey("estates.Unit", on_delete=models.PROTECT, related_name="residencies")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="residencies")
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    since = models.DateField(_("since"), null=True, blank=True)
    ended = models.DateField(_("ended"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "person"],
                condition=models.Q(ended__isnull=True),
                name="one_current_residency_per_unit_person",
            ),
        ]
        indexes = [models.Index(fields=["person", "unit"], name="residency_person_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.unit_id} ({self.relation})"


class Vehicle(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="vehicles")
    plate = models.CharField(_("plate number"), max_length=12)
    description = models.CharField(_("description"), max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "plate"], name="vehicle_plate_unique_per_person")]

    def __str__(self) -> str:
        return self.plate


class Attachment(models.Model):
    """A scanned document in the owner archive (contract, ID copy, handover form...)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="attachments")
    title = models.CharField(_("title"), max_length=100)
    file = models.FileField(upload_to="archive/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title

    @property
    def download_name(self) -> str:
        """The title people gave it, with the extension of the stored content (the stored name is
        generated, so that no uploaded name reaches the disk)."""
        extension = PurePosixPath(self.file.name).suffix
        title = "".join("_" if character in '/\\:*?"<>|' else character for character in self.title)
        return f"{title.strip() or 'document'}{extension}"


class PersonalDataRead(models.Model):
    """Every read of an unmasked phone or ID number, by whom and why (查看记录)."""

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="reads")
    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="+")
    fields = models.CharField(max_length=100)
    purpose = models.CharField(max_length=200, blank=True)
    count = models.PositiveIntegerField(default=1)
    at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=20, default="page")

    def __str__(self) -> str:
        return f"{self.reader_id} read {self.fields} at {self.at}"

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Company(models.Model):
    """A property company (物业公司) that runs one service center per estate."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30, unique=True)

    def __str__(self) -> str:
        return self.name


class Estate(models.Model):
    """An estate (小区 / 大厦) and the service center that runs it."""

    class Kind(models.TextChoices):
        HIGH_RISE = "high_rise", _("High-rise apartments")
        VILLA = "villa", _("Villas and flat mansions")
        MIXED = "mixed", _("Mixed")
        COMMERCIAL = "commercial", _("Office or commercial building")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="estates")
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.HIGH_RISE)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("service center phone"), max_length=30, blank=True)
    # One more with every change to a setting that busy requests keep in memory (the service
    # levels, servicedesk.queries.kept_levels): a process's copy is good for as long as the
    # estate row it has just read carries the same number, whichever process made the change.
    settings_version = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """A butler's area of responsibility (分管区域): the unit of work for a butler."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="zones")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    butler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="zones",
        verbose_name=_("butler"),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["estate", "code"], name="zone_code_unique_per_estate")]
        ordering = ["estate_id", "code"]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="buildings")
    code = models.CharField(_("building"), max_length=20)
    name = models.CharField(_("name"), max_length=60, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["estate", "code"], name="building_code_unique_per_estate")]
        ordering = ["estate_id", "code"]

    def __str__(self) -> str:
        return self.name or self.code


class Unit(models.Model):
    """A house (房屋). Its code reads building-entrance-room, e.g. 3-2-1201 (3栋2单元1201),
    or building-room where a building has no entrances, e.g. A-08."""

    class HouseType(models.TextChoices):
        HIGH_RISE = "high_rise", _("High-rise apartment")
        FLAT_MANSION = "flat_mansion", _("Flat mansion")
        VILLA = "villa", _("Villa")
        SHOP = "shop", _("Shop")
        PARKING = "parking", _("Parking space")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        UNDELIVERED = "undelivered", _("Undelivered")
        VACANT = "vacant", _("Vacant")
        ENTRUSTED_VACANT = "entrusted_vacant", _("Entrusted vacant")
        OCCUPIED = "occupied", _("Occupied")
        RENOVATING = "renovating", _("Renovating")

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="units")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    zone = models.ForeignKey(
        Zone, null=True, blank=True, on_delete=models.PROTECT, related_name="units", verbose_name=_("zone")
    )
    entrance = models.CharField(_("entrance"), max_length=10, blank=True)
    number = models.CharField(_("room number"), max_length=20)
    code = models.CharField(_("unit code"), max_length=50)
    floor = models.SmallIntegerField(_("floor"))
    area = models.DecimalField(
        _("building area (m²)"), max_digits=9, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    house_type = models.CharField(_("house type"), max_length=20, choices=HouseType.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UNDELIVERED)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["estate", "code"], name="unit_code_unique_per_estate"),
            models.CheckConstraint(condition=models.Q(area__gt=0), name="unit_area_positive"),
        ]
        indexes = [
            models.Index(fields=["estate", "zone"], name="unit_estate_zone_idx"),
            models.Index(
                fields=["estate", "code"], opclasses=["int8_ops", "varchar_pattern_ops"], name="unit_code_prefix_idx"
            ),
            # The front desk's 4-digit query is also tried as a room number.
            models.Index(fields=["estate", "number", "code"], name="unit_number_idx"),
        ]
        ordering = ["estate_id", "code"]

    def __str__(self) -> str:
        return self.code

    @staticmethod
    def make_code(building: str, entrance: str, number: str) -> str:
        return "-".join(part for part in (building, entrance, number) if part)

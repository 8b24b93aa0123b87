"""Import of the registry workbook (units and residents): all or nothing.

The whole file is read and checked first (guanjia.people.registry_reader), every problem is
reported with its sheet, row and column, and only a clean file is written, in one
transaction. From a page it runs as a background job (import_jobs.py)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import IO, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core.audit import apply_changes, record_change
from guanjia.core.errors import DomainError
from guanjia.core.sql import copy_rows
from guanjia.core.xlsx import ProgressCallback
from guanjia.estates.models import Building, Estate, Unit, Zone
from guanjia.people import excel, queries
from guanjia.people import pinyin as pinyin_module
from guanjia.people.actions.persons import fill_person
from guanjia.people.import_stages import SAVING
from guanjia.people.models import Person, Residency
from guanjia.people.registry_reader import PersonRow, Registry, UnitRow, read_registry

UNIT_COLUMNS = [
    "estate_id", "building_id", "zone_id", "entrance", "number", "code", "floor", "area", "house_type", "status",
    "delivery_date",
]  # fmt: skip
PERSON_COLUMNS = [
    "estate_id", "name", "name_initials", "name_pinyin", "phone", "phone_tail", "id_type", "id_number_encrypted",
    "id_number_masked", "id_number_digest", "emergency_contact_name", "emergency_contact_phone", "created_at",
]  # fmt: skip
RESIDENCY_COLUMNS = ["unit_id", "person_id", "relation"]


def check_registry(*, estate: Estate, source: str | IO[bytes], progress: ProgressCallback | None = None) -> Registry:
    """Read and check a workbook against the estate; nothing is written."""
    return read_registry(source, queries.estate_facts(estate), progress)


def import_registry(
    *,
    actor: AbstractBaseUser | None,
    estate: Estate,
    source: str | IO[bytes],
    progress: ProgressCallback | None = None,
    on_stage: Callable[[str], Any] | None = None,
    on_saved: Callable[[dict[str, int]], Any] | None = None,
) -> dict[str, int]:
    """Import a registry workbook into `estate`: all of it, or nothing.

    `source` is a path or a binary file object. Raises DomainError listing every problem
    (sheet, row, column, message) when the file is not clean. Returns the counts written.
    `actor` None is the system (a benchmark). The check runs outside any transaction, so that
    a job's progress (reported by `progress` and `on_stage`) shows while it runs."""
    registry = check_registry(estate=estate, source=source, progress=progress)
    registry.raise_if_any()
    if on_stage:
        on_stage(SAVING)
    try:
        with transaction.atomic():
            counts = save_registry(estate=estate, registry=registry)
            counts |= save_updates(actor=actor, estate=estate, registry=registry)
            record_change(actor=actor, target=estate, verb="import", estate_id=estate.pk, changes=counts)
            if on_saved:  # in the same transaction: a job records itself done with the rows
                on_saved(counts)
    except IntegrityError:
        # Someone added one of these units (or links) between the check and the write.
        raise DomainError(
            _(
                "The estate's registry changed while the file was being imported; nothing was "
                "imported. Please upload the file again."
            ),
            field="file",
        ) from None
    return counts


def save_registry(*, estate: Estate, registry: Registry) -> dict[str, int]:
    """Write the checked rows. Runs inside the caller's transaction."""
    buildings, new_buildings = save_buildings(estate, registry.units)
    zones = zones_by_code(estate, registry.units)
    unit_ids = save_units(estate, registry, buildings, zones)
    person_ids, new_people = save_people(estate, registry.people)
    residency_rows = [
        (unit_ids[row.unit_code], person_id, row.relation)
        for row, person_id in zip(registry.people, person_ids, strict=True)
    ]
    copy_rows(Residency, RESIDENCY_COLUMNS, residency_rows)
    return {
        "buildings": new_buildings,
        "units": len(registry.units),
        "people": new_people,
        "residencies": len(residency_rows),
    }


def save_updates(*, actor: AbstractBaseUser | None, estate: Estate, registry: Registry) -> dict[str, int]:
    """Change the units and people the file names and the estate holds already, field by field
    (an export edited and imported again): each changed row gets its own audit entry naming
    only what changed. Runs inside the caller's transaction."""
    zones = dict(Zone.objects.filter(estate=estate).values_list("code", "id"))
    zone_codes = {pk: code for code, pk in zones.items()}
    units = Unit.objects.select_for_update().in_bulk([update.target_id for update in registry.unit_updates])
    for update in registry.unit_updates:
        unit = units[update.target_id]
        values = dict(update.values)
        if "zone_code" in values:
            zone_code = values.pop("zone_code")
            values["zone_id"] = zones.get(zone_code) if zone_code else None
        changes = apply_changes(unit, values)
        if "zone_id" in changes:
            old_zone, new_zone = changes.pop("zone_id")
            changes["zone"] = [zone_codes.get(old_zone), zone_codes.get(new_zone)]
        if changes:
            unit.save(update_fields=list(values))
            record_change(actor=actor, target=unit, verb="update", estate_id=estate.pk, changes=changes)
    people = Person.objects.select_for_update().in_bulk(list(registry.person_updates))
    for person_id, update in registry.person_updates.items():
        person = people[person_id]
        changes = fill_person(person, dict(update.values))
        if changes:
            person.save()
            record_change(actor=actor, target=person, verb="update", estate_id=estate.pk, changes=changes)
    residencies = (
        Residency.objects.select_for_update()
        .select_related("person", "unit")
        .in_bulk([update.target_id for update in registry.relation_updates])
    )
    for update in registry.relation_updates:
        residency = residencies[update.target_id]
        old = residency.relation
        residency.relation = update.values["relation"]
        residency.save(update_fields=["relation"])
        record_change(
            actor=actor,
            target=residency.person,
            verb="update",
            estate_id=estate.pk,
            changes={"relation": [old, residency.relation], "unit": [residency.unit.code, residency.unit.code]},
        )
    return {
        "updated_units": len(registry.unit_updates),
        "updated_people": len(registry.person_updates),
        "updated_residencies": len(registry.relation_updates),
    }


def save_buildings(estate: Estate, units: list[UnitRow]) -> tuple[dict[str, int], int]:
    """The estate's buildings by code, the file's new ones added (as high as their highest
    unit); and how many were new."""
    buildings = dict(Building.objects.filter(estate=estate).values_list("code", "id"))
    top_floor: dict[str, int] = {}
    for unit_row in units:
        if unit_row.building not in buildings:
            top_floor[unit_row.building] = max(top_floor.get(unit_row.building, 0), unit_row.floor)
    new_buildings = [
        Building(estate_id=estate.pk, code=code, floors=floor if floor > 0 else None)
        for code, floor in sorted(top_floor.items())
    ]
    Building.objects.bulk_create(new_buildings)
    return dict(Building.objects.filter(estate=estate).values_list("code", "id")), len(new_buildings)


def zones_by_code(estate: Estate, units: list[UnitRow]) -> dict[str, int]:
    """The estate's zone ids by code, all that the file names still there."""
    zones = dict(Zone.objects.filter(estate=estate).values_list("code", "id"))
    removed = {unit_row.zone_code for unit_row in units} - {""} - zones.keys()
    if removed:
        raise DomainError(
            _("Zone %(code)s was removed during the import; nothing was imported.")
            % {"code": "、".join(sorted(removed))},
            field=excel.ZONE,
        )
    return zones


def save_units(estate: Estate, registry: Registry, buildings: dict[str, int], zones: dict[str, int]) -> dict[str, int]:
    """Insert the file's units; the ids of every unit the residents sheet names, by code."""
    unit_rows = [
        (
            estate.pk,
            buildings[row.building],
            zones.get(row.zone_code),
            row.entrance,
            row.number,
            row.code,
            row.floor,
            row.area,
            row.house_type,
            row.status,
            row.delivery_date,
        )  # fmt: skip
        for row in registry.units
    ]
    new_unit_ids = copy_rows(Unit, UNIT_COLUMNS, unit_rows, with_ids=True)
    unit_ids = dict(zip((row.code for row in registry.units), new_unit_ids, strict=True))
    wanted = {person_row.unit_code for person_row in registry.people} - unit_ids.keys()
    if wanted:
        unit_ids.update(Unit.objects.filter(estate=estate, code__in=wanted).values_list("code", "id"))
    return unit_ids


class PinyinCache(dict):
    """Names repeat (张伟, 王芳...): convert each one once per import."""

    def __missing__(self, name: str) -> tuple[str, str]:
        value = self[name] = (pinyin_module.initials(name), pinyin_module.full_pinyin(name))
        return value


def save_people(estate: Estate, people: list[PersonRow]) -> tuple[list[int], int]:
    """One archive entry per person: rows with the same key (ID number) share it, and rows
    that name someone already in the archive link to them. Returns each row's person id, and
    how many entries are new."""
    now = timezone.now()
    names, scratch = PinyinCache(), Person()
    new_people: list[tuple] = []
    slot_of_key: dict[tuple[str, str], int] = {}
    slots: list[int | tuple[int]] = []  # per row: a new person's index, or (existing id,)
    for person_row in people:
        if person_row.existing_person_id:
            slots.append((person_row.existing_person_id,))
            continue
        slot = slot_of_key.get(person_row.key) if person_row.key is not None else None
        if slot is None:
            slot = len(new_people)
            new_people.append(person_values(estate, person_row.values, names, now, scratch))
            if person_row.key is not None:
                slot_of_key[person_row.key] = slot
        slots.append(slot)
    new_ids = copy_rows(Person, PERSON_COLUMNS, new_people, with_ids=True)
    return [slot[0] if isinstance(slot, tuple) else new_ids[slot] for slot in slots], len(new_people)


def person_values(
    estate: Estate, values: dict[str, Any], names: PinyinCache, now: datetime.datetime, scratch: Person
) -> tuple:
    """A new archive entry's columns from cleaned values, by the rules fill_person applies
    (pinyin, phone tail, and the ID number stored encrypted by Person.set_id_number)."""
    scratch.set_id_number(values["id_number"])
    initials, full = names[values["name"]]
    return (
        estate.pk, values["name"], initials, full, values["phone"], values["phone"][-4:], values["id_type"],
        scratch.id_number_encrypted, scratch.id_number_masked, scratch.id_number_digest,
        values["emergency_contact_name"], values["emergency_contact_phone"], now,
    )  # fmt: skip

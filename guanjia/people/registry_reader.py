"""Reading a registry workbook (guanjia.people.excel) into checked rows: every row of the
房屋 and 住户 sheets through its columns' checks and the rules across rows and files (a unit
once, a person under one name, a link once), against what the estate already holds. No
database access: that comes in as `EstateFacts` (guanjia.people.queries.estate_facts).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _

from guanjia.core import crypto, xlsx
from guanjia.core.errors import DomainError, Problems
from guanjia.core.masking import mask_phone
from guanjia.estates.actions import check_unit_values
from guanjia.estates.models import Unit
from guanjia.people.checks import clean_person_values
from guanjia.people.excel import (
    EMERGENCY_NAME,
    ESTATE_CODE,
    ID_NUMBER,
    NAME,
    NUMBER,
    PEOPLE,
    PEOPLE_SHEET,
    PERSON_KEYS,
    UNIT_CODE,
    UNIT_SHEET,
    UNITS,
    ZONE,
    floor_of_room,
    split_address,
)
from guanjia.people.models import Person

# What a read gives --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExistingUnit:
    """A unit the estate holds, as its row in the workbook would show it."""

    id: int
    floor: int
    area: Decimal
    house_type: str
    status: str
    delivery_date: datetime.date | None
    zone_code: str


@dataclass(frozen=True)
class ExistingResident:
    """A current resident of a unit, as the residents sheet would show them (phones in full,
    the ID number masked as an export without unmasking writes it)."""

    residency_id: int
    person_id: int
    relation: str
    name: str
    phone: str
    id_type: str
    id_number_masked: str
    id_number_digest: str
    emergency_contact_name: str
    emergency_contact_phone: str


@dataclass
class EstateFacts:
    """What the checks need to know about the estate being imported into."""

    code: str
    other_estate_codes: set[str] = field(default_factory=set)
    # The estate's units by code, and its current residents by (unit code, name): a row that
    # names one of them updates it (an export imported again), never adds it twice.
    units: dict[str, ExistingUnit] = field(default_factory=dict)
    residents: dict[tuple[str, str], list[ExistingResident]] = field(default_factory=dict)
    zone_codes: set[str] = field(default_factory=set)
    # Keyed digest of an ID number -> (person id, name), for people already in the archive.
    people_by_digest: dict[str, tuple[int, str]] = field(default_factory=dict)
    # (unit code, person id) pairs already linked.
    current_links: set[tuple[str, int]] = field(default_factory=set)


@dataclass
class UnitRow:
    row: int
    building: str
    entrance: str
    number: str
    code: str
    floor: int
    area: Decimal
    house_type: str
    status: str
    delivery_date: datetime.date | None
    zone_code: str


@dataclass
class PersonRow:
    row: int
    unit_code: str
    relation: str
    # Cleaned person fields: name, phone, id_type, id_number, emergency contact.
    values: dict[str, Any]
    # Rows with the same key are one person with several units (the ID number decides).
    key: tuple[str, str] | None
    existing_person_id: int | None = None


@dataclass
class Update:
    """What a row changes in a row the estate holds: {field: new value}, only the fields that
    differ. `target_id` is the unit's, the person's or the residency's id."""

    row: int
    target_id: int
    label: str  # the unit code, or the person's name, for messages
    values: dict[str, Any]


@dataclass
class Registry:
    units: list[UnitRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    problems: list[xlsx.SheetProblem] = field(default_factory=list)
    unit_updates: list[Update] = field(default_factory=list)
    person_updates: dict[int, Update] = field(default_factory=dict)
    relation_updates: list[Update] = field(default_factory=list)

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.problems.append(xlsx.SheetProblem(field=column, message=str(message), row=row, sheet=sheet))

    @property
    def person_count(self) -> int:
        keys = {person.key for person in self.people if person.key is not None and not person.existing_person_id}
        return len(keys) + sum(1 for person in self.people if person.key is None)

    def counts(self) -> dict[str, int]:
        return {
            "units": len(self.units),
            "buildings": len({unit.building for unit in self.units}),
            "people": self.person_count,
            "residencies": len(self.people),
            "updated_units": len(self.unit_updates),
            "updated_people": len(self.person_updates),
            "updated_residencies": len(self.relation_updates),
            "problems": len(self.problems),
        }

    def raise_if_any(self) -> None:
        if self.problems:
            summary = _("Please correct the %(count)s problems in the file; nothing was imported.") % {
                "count": len(self.problems)
            }
            first = self.problems[0]
            raise DomainError(summary, field=first.field, problems=list(self.problems))


# Reading --------------------------------------------------------------------------------------


def read_registry(
    source: str | IO[bytes], facts: EstateFacts, progress: xlsx.ProgressCallback | None = None
) -> Registry:
    """Read and check a registry workbook (a path or a binary file object). Problems are
    collected on the result, never raised, except for a file that is not a workbook."""
    reader = RegistryReader(facts)
    registry = reader.registry
    with xlsx.streaming(source) as book:
        layouts = [layout for layout in (UNITS, PEOPLE) if layout.title in book.sheets]
        if not layouts:
            registry.add(
                UNIT_SHEET,
                None,
                "",
                _("The workbook has no sheet named “%(units)s” or “%(people)s”.")
                % {"units": UNIT_SHEET, "people": PEOPLE_SHEET},
            )
            return registry
        counter = xlsx.Progress(book, [layout.title for layout in layouts], progress)
        for layout in layouts:
            read_row = reader.read_unit if layout is UNITS else reader.read_person
            for row, values in xlsx.read_sheet(book, layout, registry.problems, counter):
                read_row(row, values)
    # Rows that change nothing (an export imported again as it was) are rows all the same.
    if not registry.problems and counter.done == 0:
        registry.add(UNIT_SHEET, None, "", _("The file has no rows to import."))
    counter.finish()
    return registry


def with_address(values: dict[str, Any]) -> dict[str, Any]:
    """The row with building, entrance and room taken from a whole address (1栋2单元1201) where
    the sheet gives one instead of them, in its address column or in its room column; and the
    floor from the room number where the sheet gives none."""
    address = values.get("address") or (values["number"] if not values["building"] else "")
    parts = split_address(address) if address else None
    values = dict(values)
    if parts is not None and not values["building"]:
        values["building"], values["entrance"], values["number"] = parts
    if values["floor"] in (None, ""):
        values["floor"] = floor_of_room(values["number"])
    return values


def unmasked(values: dict[str, Any], resident: ExistingResident) -> tuple[dict[str, Any], bool]:
    """The row with masked phones (139****2222) that match the resident's own put back in full,
    and a masked ID number that matches theirs left out; and whether it was left out (kept)."""
    values = dict(values)
    for name in ("phone", "emergency_contact_phone"):
        on_file = getattr(resident, name)
        if "*" in values[name] and on_file and values[name] == mask_phone(on_file):
            values[name] = on_file
    kept = bool(resident.id_number_masked) and values["id_number"] == resident.id_number_masked
    if kept:
        values["id_number"] = ""
    return values, kept


def unit_code_of(values: dict[str, Any]) -> str:
    """The unit code of a residents row that names its unit by address (1栋2单元1201) or by
    building, entrance and room in cells of their own, rather than by code."""
    if values["address"]:
        return values["address"]
    if values["building"] and values["number"]:
        return Unit.make_code(values["building"], values["entrance"], values["number"])
    parts = split_address(values["number"]) if values["number"] else None  # the whole address as 房号
    return Unit.make_code(*parts) if parts is not None else values["number"]


class RegistryReader:
    """Checks the rows of one workbook into a Registry, remembering across rows what the
    checks need: the units the file adds, and the people it has met."""

    def __init__(self, facts: EstateFacts):
        self.facts = facts
        self.registry = Registry()
        # Unit codes in the 房屋 sheet: code -> first row; and those that belong elsewhere.
        self.file_units: dict[str, int] = {}
        self.foreign_units: set[str] = set()
        # A person's key -> (first row, name); (unit code, key) -> first row.
        self.person_rows: dict[tuple[str, str], tuple[int, str]] = {}
        self.links: dict[tuple[str, tuple[str, str]], int] = {}
        self.by_unit: dict[str, list[ExistingResident]] | None = None

    def add_unit_problem(self, row: int, column: str, message: str) -> None:
        self.registry.add(UNIT_SHEET, row, column, message)

    def add_person_problem(self, row: int, column: str, message: str) -> None:
        self.registry.add(PEOPLE_SHEET, row, column, message)

    # The 房屋 sheet ------------------------------------------------------------------------

    def read_unit(self, row: int, values: dict[str, Any]) -> None:
        """Check one unit row; keep it if it has no problem. The checks run in the order the
        row's problems are listed: the estate code, each column's own check, then the rules
        across columns and rows."""
        before = len(self.registry.problems)
        values = with_address(values)
        code = Unit.make_code(values["building"], values["entrance"], values["number"])
        self.check_estate_code(row, values["estate_code"], code)
        checked = xlsx.check_cells(UNITS, row, values, self.registry.problems)
        self.check_zone(row, values["zone"])
        self.check_floor_and_date(row, checked)
        existing = self.check_unit_once(row, values, code)
        if existing is not None:
            if len(self.registry.problems) == before:
                self.compare_unit(row, code, existing, checked, values["zone"])
            return
        if len(self.registry.problems) == before:
            # No problem on the row means every value parsed; say so to the type checker.
            floor, delivery = checked["floor"], checked["delivery_date"]
            assert isinstance(floor, int) and checked["area"] is not None and not isinstance(delivery, str)
            self.registry.units.append(
                UnitRow(
                    row=row,
                    building=values["building"],
                    entrance=values["entrance"],
                    number=values["number"],
                    code=code,
                    floor=floor,
                    area=checked["area"],
                    house_type=checked["house_type"],
                    status=checked["status"],
                    delivery_date=delivery,
                    zone_code=values["zone"],
                )
            )

    def check_estate_code(self, row: int, estate_code: str, code: str) -> None:
        facts = self.facts
        if not estate_code:
            self.add_unit_problem(row, ESTATE_CODE, _("Enter the estate code (%(code)s).") % {"code": facts.code})
        elif estate_code != facts.code and estate_code in facts.other_estate_codes:
            self.foreign_units.add(code)  # its residents are refused too
            self.add_unit_problem(
                row,
                ESTATE_CODE,
                _("Unit %(unit)s belongs to another estate (%(code)s); import it into that estate.")
                % {"unit": code, "code": estate_code},
            )
        elif estate_code != facts.code:
            self.add_unit_problem(
                row,
                ESTATE_CODE,
                _("Unknown estate code “%(code)s”: this estate's code is %(estate)s.")
                % {"code": estate_code, "estate": facts.code},
            )

    def check_zone(self, row: int, zone_code: str) -> None:
        if zone_code and zone_code not in self.facts.zone_codes:
            known = "、".join(sorted(self.facts.zone_codes)) or "-"
            self.add_unit_problem(
                row,
                ZONE,
                _("Unknown zone code “%(code)s”. This estate's zones are: %(codes)s.")
                % {"code": zone_code, "codes": known},
            )

    def check_floor_and_date(self, row: int, checked: dict[str, Any]) -> None:
        """The unit's own rules (check_unit_values), as the registry pages apply them."""
        problems = check_unit_values(
            {
                "house_type": checked["house_type"] or Unit.HouseType.OTHER,
                "status": checked["status"] or Unit.Status.UNDELIVERED,
                "zone": None,
                "delivery_date": checked["delivery_date"],
                "floor": checked["floor"],
            },
            None,  # the zone is checked above by its code
        )
        for problem in problems.items:
            self.add_unit_problem(row, UNITS.header_of(problem.field), problem.message)

    def check_unit_once(self, row: int, values: dict[str, Any], code: str) -> ExistingUnit | None:
        """A unit appears once in the file. One the estate holds already is returned: the row
        updates it."""
        if not (values["building"] and values["number"]):
            return None
        first = self.file_units.get(code)
        if first is not None:
            self.add_unit_problem(
                row,
                NUMBER,
                _("Unit %(code)s appears twice in the file (first on row %(row)s).") % {"code": code, "row": first},
            )
            return None
        self.file_units[code] = row
        if values["estate_code"] != self.facts.code:
            return None
        return self.facts.units.get(code)

    def compare_unit(
        self, row: int, code: str, existing: ExistingUnit, checked: dict[str, Any], zone_code: str
    ) -> None:
        """The fields the row changes in a unit the estate holds, if any."""
        found = {
            "floor": checked["floor"],
            "area": checked["area"],
            "house_type": checked["house_type"],
            "status": checked["status"],
            "delivery_date": checked["delivery_date"],
            "zone_code": zone_code,
        }
        changed = {name: value for name, value in found.items() if getattr(existing, name) != value}
        if changed:
            self.registry.unit_updates.append(Update(row=row, target_id=existing.id, label=code, values=changed))

    # The 住户 sheet ------------------------------------------------------------------------

    def read_person(self, row: int, values: dict[str, Any]) -> None:
        """Check one resident row; keep it if it has no problem. As for units: the unit code
        first, each column's own check, the archive's rules for a person, then across rows."""
        before = len(self.registry.problems)
        unit_code = values["unit_code"] = values["unit_code"] or unit_code_of(values)
        self.check_unit_code(row, unit_code)
        resident = self.existing_resident(unit_code, values["name"], values["id_number"])
        if resident is not None:
            self.read_resident(row, unit_code, resident, values, before)
            return
        checked = xlsx.check_cells(PEOPLE, row, values, self.registry.problems)
        cleaned = self.clean_person(row, checked)
        key: tuple[str, str] | None = None
        existing: int | None = None
        if cleaned["id_number"] and checked["id_type"]:
            key = (checked["id_type"], cleaned["id_number"])
            self.check_id_number_once(row, key, cleaned["name"])
            # Someone already in the archive (the ID number decides) is linked, not copied. The
            # keyed digest is only worked out when the archive holds ID numbers at all.
            known = None
            if self.facts.people_by_digest:
                known = self.facts.people_by_digest.get(crypto.blind_index(cleaned["id_number"]))
            if known is not None:
                existing = known[0]
                self.check_archive_entry(row, unit_code, cleaned["name"], known)
            self.check_link_once(row, unit_code, key)
        if len(self.registry.problems) == before:
            self.registry.people.append(
                PersonRow(
                    row=row,
                    unit_code=unit_code,
                    relation=checked["relation"],
                    values=cleaned,
                    key=key,
                    existing_person_id=existing,
                )
            )

    # A resident the estate holds: the row updates them ------------------------------------

    def existing_resident(self, unit_code: str, name: str, id_number: str) -> ExistingResident | None:
        """The unit's current resident of this name, when there is exactly one; or else (a name
        corrected in an export) the one resident whose masked ID number the row shows."""
        if unit_code not in self.facts.units:
            return None
        found = self.facts.residents.get((unit_code, name.strip()), [])
        if not found and "*" in id_number:
            found = [
                resident
                for resident in self.residents_of_unit().get(unit_code, [])
                if resident.id_number_masked == id_number
            ]
        return found[0] if len(found) == 1 else None

    def residents_of_unit(self) -> dict[str, list[ExistingResident]]:
        """The estate's current residents by unit code, worked out once when first needed."""
        if self.by_unit is None:
            self.by_unit = {}
            for (unit_code, _name), residents in self.facts.residents.items():
                self.by_unit.setdefault(unit_code, []).extend(residents)
        return self.by_unit

    def read_resident(
        self, row: int, unit_code: str, resident: ExistingResident, values: dict[str, Any], before: int
    ) -> None:
        """Check a row naming a current resident of the unit and keep what it changes. Phones
        and the ID number as a masked export shows them stand for the values on file."""
        values, id_number_kept = unmasked(values, resident)
        checked = xlsx.check_cells(PEOPLE, row, values, self.registry.problems)
        cleaned = self.clean_person(row, checked)
        link = (unit_code, ("person", str(resident.person_id)))
        self.check_link_once(row, unit_code, link[1])
        if cleaned["id_number"]:
            digest = crypto.blind_index(cleaned["id_number"])
            known = self.facts.people_by_digest.get(digest)
            if known is not None and known[0] != resident.person_id:
                self.add_person_problem(
                    row,
                    ID_NUMBER,
                    _("This ID number is filed under %(name)s in the estate's archive.") % {"name": known[1]},
                )
        if len(self.registry.problems) != before:
            return
        if checked["relation"] != resident.relation:
            self.registry.relation_updates.append(
                Update(
                    row=row, target_id=resident.residency_id, label=unit_code, values={"relation": checked["relation"]}
                )
            )
        self.compare_person(row, resident, checked, cleaned, id_number_kept)

    def compare_person(
        self,
        row: int,
        resident: ExistingResident,
        checked: dict[str, Any],
        cleaned: dict[str, Any],
        id_number_kept: bool,
    ) -> None:
        """The person's fields the row changes. A person on several rows (several units) is
        changed by any of them; two rows that change one field differently are a problem."""
        changed = {
            name: cleaned[name]
            for name in ("name", "phone", "emergency_contact_name", "emergency_contact_phone")
            if cleaned[name] != getattr(resident, name)
        }
        if cleaned["id_number"] and crypto.blind_index(cleaned["id_number"]) != resident.id_number_digest:
            changed["id_number"] = cleaned["id_number"]
        if (cleaned["id_number"] or id_number_kept) and checked["id_type"] != resident.id_type:
            changed["id_type"] = checked["id_type"]
        if not changed:
            return
        update = self.registry.person_updates.setdefault(
            resident.person_id, Update(row=row, target_id=resident.person_id, label=resident.name, values={})
        )
        for name, value in changed.items():
            if name in update.values and update.values[name] != value:
                self.add_person_problem(
                    row,
                    PEOPLE.header_of(name),
                    _("Row %(row)s gives this person another value here; make the rows agree.") % {"row": update.row},
                )
            update.values[name] = value

    def check_unit_code(self, row: int, unit_code: str) -> None:
        if not unit_code:
            self.add_person_problem(row, UNIT_CODE, _("Enter the unit code, e.g. 3-2-1201."))
        elif unit_code in self.foreign_units:
            self.add_person_problem(row, UNIT_CODE, _("Unit %(code)s belongs to another estate.") % {"code": unit_code})
        elif unit_code not in self.file_units and unit_code not in self.facts.units:
            self.add_person_problem(
                row,
                UNIT_CODE,
                _("Unit %(code)s is neither in the “%(sheet)s” sheet nor in this estate.")
                % {"code": unit_code, "sheet": UNIT_SHEET},
            )

    def clean_person(self, row: int, checked: dict[str, Any]) -> dict[str, Any]:
        """The person's fields by the archive's own rules (clean_person_values)."""
        raw = {key: checked[key] for key in PERSON_KEYS}
        raw["id_type"] = checked["id_type"] or Person.IdType.OTHER
        found = Problems()
        cleaned = clean_person_values(raw, found, row)
        for problem in found.items:
            self.add_person_problem(row, PEOPLE.header_of(problem.field), problem.message)
        if len(cleaned["emergency_contact_name"]) > 50:
            self.add_person_problem(row, EMERGENCY_NAME, _("At most %(limit)s characters.") % {"limit": 50})
        return cleaned

    def check_id_number_once(self, row: int, key: tuple[str, str], name: str) -> None:
        """Rows with one ID number are one person with several units: under one name."""
        first = self.person_rows.get(key)
        if first is None:
            self.person_rows[key] = (row, name)
        elif first[1] != name:
            self.add_person_problem(
                row,
                NAME,
                _("Row %(row)s has the same ID number under another name (%(name)s).")
                % {"row": first[0], "name": first[1]},
            )

    def check_archive_entry(self, row: int, unit_code: str, name: str, known: tuple[int, str]) -> None:
        """The archive entry with the row's ID number is under the same name, and not linked
        to the unit already."""
        person_id, filed_name = known
        if filed_name != name:
            self.add_person_problem(
                row, NAME, _("This ID number is filed under %(name)s in the estate's archive.") % {"name": filed_name}
            )
        elif (unit_code, person_id) in self.facts.current_links:
            self.add_person_problem(
                row, UNIT_CODE, _("%(name)s is already linked to unit %(code)s.") % {"name": name, "code": unit_code}
            )

    def check_link_once(self, row: int, unit_code: str, key: tuple[str, str]) -> None:
        """A person (by ID number, or a resident on file by id) is listed once per unit."""
        link = (unit_code, key)
        first = self.links.get(link)
        if first is not None:
            self.add_person_problem(
                row,
                UNIT_CODE,
                _("The same person is listed twice for unit %(code)s (first on row %(row)s).")
                % {"code": unit_code, "row": first},
            )
        else:
            self.links[link] = row

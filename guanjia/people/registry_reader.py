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
from guanjia.estates.actions import check_unit_values
from guanjia.estates.models import Unit
from guanjia.people.checks import clean_person_values
from guanjia.people.excel import (
    EMERGENCY_NAME,
    ESTATE_CODE,
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


@dataclass
class EstateFacts:
    """What the checks need to know about the estate being imported into."""

    code: str
    other_estate_codes: set[str] = field(default_factory=set)
    unit_codes: set[str] = field(default_factory=set)
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
class Registry:
    units: list[UnitRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    problems: list[xlsx.SheetProblem] = field(default_factory=list)

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
    if not registry.problems and not registry.units and not registry.people:
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
        self.check_unit_once(row, values, code)
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

    def check_unit_once(self, row: int, values: dict[str, Any], code: str) -> None:
        """A unit appears once in the file, and is not in the estate already."""
        if not (values["building"] and values["number"]):
            return
        first = self.file_units.get(code)
        if first is not None:
            self.add_unit_problem(
                row,
                NUMBER,
                _("Unit %(code)s appears twice in the file (first on row %(row)s).") % {"code": code, "row": first},
            )
            return
        self.file_units[code] = row
        if code in self.facts.unit_codes and values["estate_code"] == self.facts.code:
            self.add_unit_problem(row, NUMBER, _("Unit %(code)s already exists in this estate.") % {"code": code})

    # The 住户 sheet ------------------------------------------------------------------------

    def read_person(self, row: int, values: dict[str, Any]) -> None:
        """Check one resident row; keep it if it has no problem. As for units: the unit code
        first, each column's own check, the archive's rules for a person, then across rows."""
        before = len(self.registry.problems)
        unit_code = values["unit_code"]
        self.check_unit_code(row, unit_code)
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

    def check_unit_code(self, row: int, unit_code: str) -> None:
        if not unit_code:
            self.add_person_problem(row, UNIT_CODE, _("Enter the unit code, e.g. 3-2-1201."))
        elif unit_code in self.foreign_units:
            self.add_person_problem(row, UNIT_CODE, _("Unit %(code)s belongs to another estate.") % {"code": unit_code})
        elif unit_code not in self.file_units and unit_code not in self.facts.unit_codes:
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

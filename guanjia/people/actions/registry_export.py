"""Export of the registry workbook: the estate's units and residents, in the form that imports
back as it is."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from guanjia.core import crypto
from guanjia.core.masking import mask_phone
from guanjia.estates.models import Estate
from guanjia.people import excel, queries
from guanjia.people.actions.personal_data import log_bulk_reveal


def export_registry(*, actor: AbstractBaseUser, estate: Estate, unmasked: bool) -> bytes:
    """The estate's units and residents as a registry workbook that imports back as it is.

    Phones and ID numbers are masked unless `unmasked`; an unmasked export is logged as a
    read of personal data. The caller has checked the capabilities."""
    units = unit_rows(estate)
    people, person_count = resident_rows(estate, unmasked)
    buffer = io.BytesIO()
    excel.write_registry(buffer, units, people)
    if unmasked and person_count:
        log_bulk_reveal(actor=actor, estate=estate, count=person_count, purpose="registry export", channel="export")
    return buffer.getvalue()


def unit_rows(estate: Estate) -> list[list[Any]]:
    return [
        excel.unit_row(
            estate_code=estate.code,
            unit=unit,
            building_code=unit.building.code,
            zone_code=unit.zone.code if unit.zone else "",
        )
        for unit in queries.units_for_export(estate)
    ]


def resident_rows(estate: Estate, unmasked: bool) -> tuple[list[list[Any]], int]:
    """The residents sheet's rows, and how many people they name."""
    people: list[list[Any]] = []
    person_ids: set[int] = set()
    decrypted: dict[int, str] = {}
    for resident in queries.residents_for_export(estate):
        person_ids.add(resident.person_id)
        phone, contact_phone = resident.phone, resident.emergency_contact_phone
        if unmasked:
            if resident.person_id not in decrypted:
                # Person.reveal_id_number for many rows at once; log_bulk_reveal records the read.
                decrypted[resident.person_id] = crypto.decrypt(resident.id_number_encrypted)
            id_number = decrypted[resident.person_id]
        else:
            phone, id_number, contact_phone = mask_phone(phone), resident.id_number_masked, mask_phone(contact_phone)
        people.append(
            excel.person_row(
                unit_code=resident.unit_code,
                relation=resident.relation,
                name=resident.name,
                phone=phone,
                id_type=resident.id_type,
                id_number=id_number,
                emergency_contact_name=resident.emergency_contact_name,
                emergency_contact_phone=contact_phone,
            )
        )
    return people, len(person_ids)

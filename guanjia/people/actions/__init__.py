"""Every write to the owner archive, and every read of unmasked personal data, by sub-area:
persons.py (a person, their units and vehicles), attachments.py, personal_data.py (logged
reveals and other logged reads, key rotation), searches.py (the front-desk search as a
person runs it: rate-limited, logged), registry_import.py and import_jobs.py (the workbook import and its
background job), registry_export.py. `from guanjia.people import actions` reaches them all."""

from guanjia.people.actions.attachments import add_attachment
from guanjia.people.actions.import_jobs import (
    commit_registry_import,
    confirm_registry_import,
    discard_stale_imports,
    preview_registry_import,
    start_registry_import,
)
from guanjia.people.actions.personal_data import (
    log_attachment_read,
    log_bulk_reveal,
    log_phone_matches,
    reveal_personal_data,
    rotate_personal_data_keys,
)
from guanjia.people.actions.persons import (
    add_vehicle,
    create_person,
    end_residency,
    fill_person,
    link_person_to_unit,
    reindex_people,
    update_person,
)
from guanjia.people.actions.registry_export import export_registry
from guanjia.people.actions.registry_import import check_registry, import_registry
from guanjia.people.actions.searches import TooManySearches, search_people
from guanjia.people.checks import clean_person_values

__all__ = [
    "TooManySearches",
    "add_attachment",
    "add_vehicle",
    "check_registry",
    "clean_person_values",
    "commit_registry_import",
    "confirm_registry_import",
    "create_person",
    "discard_stale_imports",
    "end_residency",
    "export_registry",
    "fill_person",
    "import_registry",
    "link_person_to_unit",
    "log_attachment_read",
    "log_bulk_reveal",
    "log_phone_matches",
    "preview_registry_import",
    "reveal_personal_data",
    "reindex_people",
    "rotate_personal_data_keys",
    "search_people",
    "start_registry_import",
    "update_person",
]

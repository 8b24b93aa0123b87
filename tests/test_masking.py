"""Personal data stays masked: phones as 138****1234, ID numbers as their first six and last
four characters, on every page, API answer and export that shows people, for every role,
including the roles that may unmask (they see masked values until they ask). The clear
values come only from the reveal endpoints, to those allowed, and every reveal is logged.
ID numbers are encrypted at rest, and the audit trail never holds a clear phone or ID.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from guanjia.core import crypto, xlsx
from guanjia.core.models import Change, Job
from guanjia.people import actions, excel, import_stages
from guanjia.people.models import Person, PersonalDataRead
from guanjia.people.tests.factories import valid_id_number
from tests.support import ROLES, Cast

REGISTRY_VIEWERS = frozenset({"manager", "head_butler", "butler", "assistant", "finance"})
FRONT_DESK = frozenset({"manager", "head_butler", "butler", "assistant"})
HISTORY_READERS = frozenset({"manager", "head_butler", "butler"})
EDITORS_OF_ZONE_A = frozenset({"manager", "head_butler", "butler"})
EXPORTERS = frozenset({"manager", "head_butler", "finance"})
OWNER = frozenset({"owner"})
OUTSIDER = frozenset({"outsider"})
UNMASK_ZONE_A = frozenset({"manager", "head_butler", "butler"})

OWNER_FORMER_PHONE = "13800001111"
OWNER_EMERGENCY_PHONE = "13566669999"


def masked_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def masked_id(number: str) -> str:
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


@dataclass
class Secret:
    """One person's clear values, and the masked forms that may be shown instead."""

    phone: str
    id_number: str
    emergency_phone: str = ""

    def clear_values(self) -> list[str]:
        # The hidden middle of the ID number (the birth date and serial) must not show
        # either, whatever surrounds it.
        values = [self.phone, self.id_number, self.id_number[6:-4]]
        return values + ([self.emergency_phone] if self.emergency_phone else [])

    def masked(self, field: str) -> str:
        return {
            "phone": masked_phone(self.phone),
            "id": masked_id(self.id_number),
            "emergency": masked_phone(self.emergency_phone),
        }[field]


@pytest.fixture
def secrets(cast) -> dict[str, Secret]:
    """The cast's personal data, with some history: 张三 had another phone before, and has
    an emergency contact (both written through the action, so that core.Change has rows)."""
    actions.update_person(actor=cast.manager, person=cast.owner_person, phone=OWNER_FORMER_PHONE)
    actions.update_person(
        actor=cast.manager,
        person=cast.owner_person,
        phone="13812341234",
        emergency_contact_name="张母",
        emergency_contact_phone=OWNER_EMERGENCY_PHONE,
    )
    for person in (cast.owner_person, cast.neighbour, cast.stranger):
        person.refresh_from_db()
    return {
        "owner_person": Secret("13812341234", cast.owner_person.reveal_id_number(), OWNER_EMERGENCY_PHONE),
        "neighbour": Secret("13987655678", cast.neighbour.reveal_id_number()),
        "stranger": Secret("13700007777", cast.stranger.reveal_id_number()),
        # 张三's former number is personal data as well.
        "former": Secret(OWNER_FORMER_PHONE, cast.owner_person.reveal_id_number()),
    }


def assert_no_clear_values(text: str, secrets: dict[str, Secret], where: str) -> None:
    for name, secret in secrets.items():
        for value in secret.clear_values():
            assert value not in text, f"{where}: the clear value {value!r} of {name} is shown"


def workbook_text(content: bytes) -> str:
    """Every cell of every sheet, one per line."""
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    workbook.close()
    return "\n".join(cells)


@dataclass(frozen=True)
class Probe:
    """A page or API answer that shows people: who may fetch it, and whose masked data
    (and which fields of it) must be in it."""

    name: str
    url: Callable[[Cast], str]
    viewers: frozenset[str]
    shows: tuple[str, ...] = ()
    fields: tuple[str, ...] = ("phone",)
    htmx: bool = False
    xlsx: bool = False


def page(name: str, *args: str, query: str = ""):
    def url(cast: Cast) -> str:
        return reverse(name, args=[getattr(cast, arg).pk for arg in args]) + (f"?{query}" if query else "")

    return url


def path(template: str, **objects: str):
    return lambda cast: "/api/v1" + template.format(**{key: getattr(cast, value).pk for key, value in objects.items()})


ALL_FIELDS = ("phone", "id", "emergency")
OWNER_FIELDS = ("phone", "id")

PROBES = [
    # the front desk's one box: names, pinyin initials, phone tails, also as htmx fragments
    Probe("frontdesk 张三", page("people:frontdesk", "estate", query="q=张三"), FRONT_DESK, ("owner_person",)),
    Probe("frontdesk zs", page("people:frontdesk", "estate", query="q=zs"), FRONT_DESK, ("owner_person",)),
    Probe("frontdesk 1234", page("people:frontdesk", "estate", query="q=1234"), FRONT_DESK, ("owner_person",)),
    Probe("frontdesk 李四", page("people:frontdesk", "estate", query="q=李四"), FRONT_DESK, ("neighbour",)),
    Probe("frontdesk ls", page("people:frontdesk", "estate", query="q=ls"), FRONT_DESK, ("neighbour",)),
    Probe("frontdesk 5678", page("people:frontdesk", "estate", query="q=5678"), FRONT_DESK, ("neighbour",)),
    Probe(
        "frontdesk htmx zs", page("people:frontdesk", "estate", query="q=zs"), FRONT_DESK, ("owner_person",), htmx=True
    ),
    Probe(
        "frontdesk htmx 1234",
        page("people:frontdesk", "estate", query="q=1234"),
        FRONT_DESK,
        ("owner_person",),
        htmx=True,
    ),
    Probe("frontdesk ww", page("people:frontdesk", "other_estate", query="q=ww"), OUTSIDER, ("stranger",)),
    Probe("frontdesk 7777", page("people:frontdesk", "other_estate", query="q=7777"), OUTSIDER, ("stranger",)),
    # unit and person pages
    Probe("unit_a page", page("people:unit", "unit_a"), REGISTRY_VIEWERS | OWNER, ("owner_person",)),
    Probe("unit_b page", page("people:unit", "unit_b"), REGISTRY_VIEWERS, ("neighbour",)),
    Probe("other_unit page", page("people:unit", "other_unit"), OUTSIDER, ("stranger",)),
    Probe(
        "owner_person page",
        page("people:person", "owner_person"),
        REGISTRY_VIEWERS | OWNER,
        ("owner_person",),
        ALL_FIELDS,
    ),
    Probe("neighbour page", page("people:person", "neighbour"), REGISTRY_VIEWERS, ("neighbour",), OWNER_FIELDS),
    Probe("stranger page", page("people:person", "stranger"), OUTSIDER, ("stranger",), OWNER_FIELDS),
    Probe(
        "owner_person edit form",
        page("people:person_edit", "owner_person"),
        EDITORS_OF_ZONE_A,
        ("owner_person",),
        ("phone", "emergency"),
    ),
    Probe(
        "owner_person history",
        page("people:person_history", "owner_person"),
        HISTORY_READERS,
        ("owner_person",),
        ("phone", "emergency"),
    ),
    Probe("portal", page("accounts:portal"), OWNER),
    # the API
    Probe(
        "people list API",
        path("/estates/{e}/people", e="estate"),
        REGISTRY_VIEWERS,
        ("owner_person", "neighbour"),
        OWNER_FIELDS,
    ),
    Probe(
        "other people list API", path("/estates/{e}/people", e="other_estate"), OUTSIDER, ("stranger",), OWNER_FIELDS
    ),
    Probe(
        "search API zs",
        lambda c: f"/api/v1/estates/{c.estate.pk}/search?q=zs",
        FRONT_DESK,
        ("owner_person",),
        OWNER_FIELDS,
    ),
    Probe(
        "search API 1234",
        lambda c: f"/api/v1/estates/{c.estate.pk}/search?q=1234",
        FRONT_DESK,
        ("owner_person",),
        OWNER_FIELDS,
    ),
    Probe(
        "search API 张三",
        lambda c: f"/api/v1/estates/{c.estate.pk}/search?q=张三",
        FRONT_DESK,
        ("owner_person",),
        OWNER_FIELDS,
    ),
    Probe(
        "owner_person API",
        path("/people/{p}", p="owner_person"),
        REGISTRY_VIEWERS | OWNER,
        ("owner_person",),
        ALL_FIELDS,
    ),
    Probe("neighbour API", path("/people/{p}", p="neighbour"), REGISTRY_VIEWERS, ("neighbour",), OWNER_FIELDS),
    Probe("stranger API", path("/people/{p}", p="stranger"), OUTSIDER, ("stranger",), OWNER_FIELDS),
    Probe(
        "owner_person history API",
        path("/people/{p}/history", p="owner_person"),
        HISTORY_READERS,
        ("owner_person",),
        ("phone", "emergency"),
    ),
    # the registry workbook, masked unless asked for (and allowed) otherwise
    Probe(
        "export page",
        page("people_import:export", "estate"),
        EXPORTERS,
        ("owner_person", "neighbour"),
        ALL_FIELDS,
        xlsx=True,
    ),
    Probe(
        "export API",
        path("/estates/{e}/export", e="estate"),
        EXPORTERS,
        ("owner_person", "neighbour"),
        ALL_FIELDS,
        xlsx=True,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("probe", PROBES, ids=[probe.name for probe in PROBES])
def test_people_are_shown_masked(client, cast, secrets, probe: Probe, role: str):
    client.force_login(cast.user(role))
    reads = PersonalDataRead.objects.count()
    headers = {"HX-Request": "true"} if probe.htmx else {}
    response = client.get(probe.url(cast), headers=headers)

    where = f"{role} {probe.name}"
    if role not in probe.viewers:
        assert response.status_code == 404, where
        return
    assert response.status_code == 200, where
    text = workbook_text(response.content) if probe.xlsx else response.content.decode()
    assert_no_clear_values(text, secrets, where)
    for name in probe.shows:
        for field in probe.fields:
            assert secrets[name].masked(field) in text, f"{where}: {secrets[name].masked(field)} missing"
    assert PersonalDataRead.objects.count() == reads, f"{where}: a masked view was logged as a reveal"


def test_the_masked_forms_are_the_expected_ones(cast, secrets):
    """138****1234, and the ID's first six and last four characters with stars between."""
    owner = secrets["owner_person"]
    assert owner.masked("phone") == "138****1234"
    assert owner.id_number == valid_id_number(11)
    assert owner.masked("id") == owner.id_number[:6] + "********" + owner.id_number[-4:]
    assert cast.owner_person.id_number_masked == owner.masked("id")


def test_api_fields_hold_the_masked_forms(client, cast, secrets):
    client.force_login(cast.manager)
    person = client.get(f"/api/v1/people/{cast.owner_person.pk}").json()
    owner = secrets["owner_person"]
    assert person["phone"] == owner.masked("phone")
    assert person["id_number"] == owner.masked("id")
    assert person["emergency_contact_phone"] == owner.masked("emergency")


# Export with unmasked=1 -----------------------------------------------------------------


@pytest.mark.parametrize("how", ["page", "api"])
def test_an_unmasked_export_needs_the_capability_and_is_logged(client, cast, secrets, how):
    def export(role: str):
        client.force_login(cast.user(role))
        if how == "page":
            return client.get(reverse("people_import:export", args=[cast.estate.pk]) + "?unmasked=1")
        return client.get(f"/api/v1/estates/{cast.estate.pk}/export?unmasked=true")

    # Finance may export, but not unmask: the workbook stays masked and nothing is logged.
    response = export("finance")
    assert response.status_code == 200
    assert_no_clear_values(workbook_text(response.content), secrets, "finance unmasked export")
    assert not PersonalDataRead.objects.exists()

    response = export("manager")
    assert response.status_code == 200
    text = workbook_text(response.content)
    assert secrets["owner_person"].phone in text and secrets["owner_person"].id_number in text
    assert secrets["neighbour"].id_number in text
    assert secrets["stranger"].phone not in text  # another estate's
    read = PersonalDataRead.objects.get()
    assert (read.reader, read.person, read.estate, read.count) == (cast.manager, None, cast.estate, 2)


# Reveal ----------------------------------------------------------------------------------


def reveal(client, person: Person, how: str):
    if how == "page":
        return client.post(reverse("people:reveal", args=[person.pk]), {"purpose": "业主来电核实"})
    return client.post(
        f"/api/v1/people/{person.pk}/reveal", json.dumps({"purpose": "业主来电核实"}), content_type="application/json"
    )


@pytest.mark.parametrize("how", ["page", "api"])
@pytest.mark.parametrize("role", sorted(UNMASK_ZONE_A | OWNER))
def test_reveal_gives_the_clear_values_and_logs_each_call(client, cast, secrets, role, how):
    client.force_login(cast.user(role))
    owner = secrets["owner_person"]
    for call in (1, 2):
        response = reveal(client, cast.owner_person, how)
        assert response.status_code == 200, response.content
        if how == "api":
            assert response.json() == {
                "phone": owner.phone,
                "id_number": owner.id_number,
                "emergency_contact_phone": owner.emergency_phone,
            }
        else:
            text = response.content.decode()
            assert owner.phone in text and owner.id_number in text and owner.emergency_phone in text
        reads = list(PersonalDataRead.objects.order_by("pk"))
        assert len(reads) == call  # one row per call
        read = reads[-1]
        assert read.reader == cast.user(role)
        assert read.person == cast.owner_person
        assert read.estate == cast.estate
        assert read.count == 1
        assert read.channel == ("page" if how == "page" else "api")
        assert read.purpose == "业主来电核实"
        assert owner.phone not in f"{read.fields} {read.purpose}"  # the log names fields, not values


@pytest.mark.parametrize("how", ["page", "api"])
@pytest.mark.parametrize(
    "role, person",
    [
        ("assistant", "owner_person"),
        ("finance", "owner_person"),
        ("outsider", "owner_person"),
        ("butler", "neighbour"),  # zone B is not the butler's
        ("owner", "neighbour"),  # the owner's own data only
        ("assistant", "neighbour"),
        ("outsider", "neighbour"),
    ],
)
def test_reveal_is_404_without_the_capability_and_logs_nothing(client, cast, secrets, role, person, how):
    client.force_login(cast.user(role))
    response = reveal(client, getattr(cast, person), how)
    assert response.status_code == 404
    assert_no_clear_values(response.content.decode(), secrets, f"{role} reveal {person}")
    assert not PersonalDataRead.objects.exists()


def test_only_unmaskers_get_a_reveal_button(client, cast):
    url = reverse("people:reveal", args=[cast.owner_person.pk])
    for role in ROLES:
        client.force_login(cast.user(role))
        page = client.get(reverse("people:person", args=[cast.owner_person.pk]))
        if role not in REGISTRY_VIEWERS | OWNER:
            assert page.status_code == 404, role
            continue
        assert page.status_code == 200, role
        # The owner sees their own page without the button (they may still ask the API).
        assert (url in page.content.decode()) == (role in UNMASK_ZONE_A), role


# At rest and in the audit trail ----------------------------------------------------------


def raw_person_row(person_id: int) -> dict:
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [person_id])  # noqa: S608 - a model's own table
        columns = [column[0] for column in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


def test_id_numbers_are_encrypted_at_rest(cast, secrets):
    for name in ("owner_person", "neighbour", "stranger"):
        secret, person = secrets[name], getattr(cast, name)
        row = raw_person_row(person.pk)
        stored = row["id_number_encrypted"]
        assert stored and secret.id_number not in stored
        assert crypto.decrypt(stored) == secret.id_number  # the same number, under the key
        for column, value in row.items():
            assert secret.id_number not in str(value), f"{name}: column {column} holds the clear ID number"
            assert secret.id_number[6:-4] not in str(value), f"{name}: column {column} holds the ID's middle"
        assert row["id_number_masked"] == secret.masked("id")


def test_the_audit_trail_never_holds_clear_personal_data(client, cast, secrets):
    new_id, newer_id = valid_id_number(21, birth="19900202"), valid_id_number(22, birth="19910303")
    clear = ["13600001111", "13600002222", "13600003333", "13600004444", new_id, newer_id]
    clear += [new_id[6:-4], newer_id[6:-4]]

    # Through the actions...
    created = actions.create_person(
        actor=cast.manager,
        estate=cast.estate,
        name="赵新",
        phone="13600001111",
        id_number=new_id,
        emergency_contact_phone="13600002222",
    )
    actions.update_person(actor=cast.manager, person=created, phone="13600003333", id_number=newer_id)
    # ...and through the page and the API that call them.
    client.force_login(cast.manager)
    response = client.post(
        reverse("people:person_create", args=[cast.estate.pk]),
        {"name": "钱新", "phone": "13600004444", "id_type": "resident_id", "id_number": valid_id_number(23)},
    )
    assert response.status_code == 302
    response = client.patch(
        f"/api/v1/people/{cast.neighbour.pk}",
        json.dumps({"phone": "13600001111", "id_number": valid_id_number(24)}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    clear += [valid_id_number(23), valid_id_number(24)]

    changes = list(Change.objects.all())
    assert len(changes) >= 6
    for change in changes:
        recorded = json.dumps(change.changes, ensure_ascii=False) + change.note
        for value in clear:
            assert value not in recorded, f"core.Change {change.verb} holds {value}"
        assert_no_clear_values(recorded, secrets, f"core.Change {change.verb}")

    of_created = Change.objects.filter(object_id=created.pk, content_type__model="person")
    created_changes = {change.verb: change.changes for change in of_created}
    assert created_changes["create"]["phone"] == ["***", "136****1111"]
    assert created_changes["create"]["id_number"] == ["***", masked_id(new_id)]
    assert created_changes["create"]["emergency_contact_phone"] == ["***", "136****2222"]
    assert created_changes["update"]["phone"] == ["***", "136****3333"]
    assert created_changes["update"]["id_number"] == ["***", masked_id(newer_id)]


def test_the_edit_form_shows_phones_masked_and_keeps_them_when_sent_back(client, cast, secrets):
    client.force_login(cast.butler)
    url = reverse("people:person_edit", args=[cast.owner_person.pk])
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    assert data["phone"] == "138****1234" and data["emergency_contact_phone"] == "135****9999"
    data["note"] = "只改备注"
    response = client.post(url, data)
    assert response.status_code == 302, response.content
    cast.owner_person.refresh_from_db()
    assert cast.owner_person.phone == "13812341234"
    assert cast.owner_person.emergency_contact_phone == OWNER_EMERGENCY_PHONE
    assert cast.owner_person.note == "只改备注"
    assert cast.owner_person.reveal_id_number() == secrets["owner_person"].id_number


def test_a_registry_import_shows_and_keeps_only_masked_values(client, cast, secrets):
    """A workbook carries phones and ID numbers in clear; the dry run's preview (job page,
    API, the Job row) and the audit trail of the import hold them masked."""
    id_number = valid_id_number(31, birth="19850505")
    clear = ["13655556666", "13677778888", id_number, id_number[6:-4]]
    units = [["cuihu", "5", "1", "0101", 1, 88.5, "高层公寓", "入住", None, "A"]]
    people = [["5-1-0101", "孙新", "业主", "13655556666", "居民身份证", id_number, "孙母", "13677778888"]]
    buffer = io.BytesIO()
    excel.write_registry(buffer, units, people)
    upload = SimpleUploadedFile("registry.xlsx", buffer.getvalue(), content_type=xlsx.XLSX_CONTENT_TYPE)

    job = actions.start_registry_import(actor=cast.manager, estate=cast.estate, upload=upload)
    actions.preview_registry_import(job_id=job.pk)  # what the worker runs
    job.refresh_from_db()
    assert job.stage == import_stages.PREVIEWED and not job.result.get("error_count"), job.result

    client.force_login(cast.manager)
    page = client.get(reverse("people_import:job", args=[cast.estate.pk, job.pk])).content.decode()
    answer = client.get(f"/api/v1/estates/{cast.estate.pk}/imports/{job.pk}").content.decode()
    stored = json.dumps([job.params, job.result, job.message], ensure_ascii=False)
    for where, text in (("job page", page), ("job API", answer), ("Job row", stored)):
        for value in clear:
            assert value not in text, f"{where} holds {value}"
    assert "136****6666" in page and masked_id(id_number) in page
    assert "136****6666" in answer and masked_id(id_number) in answer

    actions.confirm_registry_import(actor=cast.manager, job=job)
    actions.commit_registry_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    person = Person.objects.get(estate=cast.estate, name="孙新")
    assert person.phone == "13655556666" and person.reveal_id_number() == id_number
    assert id_number not in raw_person_row(person.pk).values()
    for change in Change.objects.all():
        recorded = json.dumps(change.changes, ensure_ascii=False) + change.note
        for value in clear:
            assert value not in recorded, f"core.Change {change.verb} holds {value}"
    stored = json.dumps([job.params, job.result, job.message], ensure_ascii=False)
    for value in clear:
        assert value not in stored, f"the finished Job row holds {value}"

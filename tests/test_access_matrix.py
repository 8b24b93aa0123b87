"""Who may reach what: every page and every API operation against the fixed cast.

ENDPOINTS is the access table. Each row names one endpoint (a URL name, or an operation
of the OpenAPI schema), the objects its URL is built from, the body of a write, and the
roles that may use it. The expected sets are worked out from core/roles.py and the
access_* functions; test_role_sets_follow_the_capability_table pins the named sets to the
capability table, so a change there shows up here.

Allowed: a 2xx or 3xx answer. Denied: exactly 404, missing and forbidden alike. Anonymous:
pages redirect to the login page, the API answers 401. A GET never changes the database, a
denied write leaves every row as it was, an allowed write changes something (which also
proves the body in the table is a valid one). test_every_endpoint_has_an_access_row makes
a new endpoint without a row fail the suite.
"""

from __future__ import annotations

import copy
import datetime
import io
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from config.api import api
from guanjia.accounts.actions import issue_api_token
from guanjia.accounts.tests.factories import PostingFactory, UserFactory
from guanjia.core import jobs, xlsx
from guanjia.core.roles import Capability
from guanjia.core.scope import scope_of
from guanjia.estates.tests.factories import UnitFactory
from guanjia.frontdesk import actions as desk_actions
from guanjia.frontdesk.models import Key
from guanjia.notifications.actions import notify
from guanjia.people import actions as people_actions
from guanjia.people import excel, import_stages
from tests import (
    access_billing,
    access_billing_api,
    access_frontdesk,
    access_reports,
    access_servicedesk,
    access_servicedesk_api,
)
from tests.support import ROLES, Cast, WriteWatch, make_cast

# Each domain keeps its rows in a module of its own: objects(world) -> {name: object} adds
# what its URLs are built from, endpoints() -> [Endpoint] its rows (built with page() and
# operation() of this module, imported inside the function).
DOMAIN_ROWS = (access_frontdesk, access_servicedesk, access_servicedesk_api, access_billing, access_billing_api)

ANONYMOUS = "anonymous"
PAGE, API = "page", "api"

# URL names that are not access-controlled endpoints of the application.
PUBLIC_PAGES = {"login", "logout", "set_language", "api_docs"}
# The ninja API's own URL names: its operations are covered through the OpenAPI schema.
API_NAMESPACE = "api"
PUBLIC_OPERATIONS = {("POST", "/api/v1/auth/token")}

# Who holds what in the home estate 翠湖苑 (checked against core/roles.py below).
NOBODY: frozenset[str] = frozenset()
EVERYONE = frozenset(ROLES)
REGISTRY_VIEWERS = frozenset({"manager", "head_butler", "butler", "assistant", "finance"})
REGISTRY_EDITORS = frozenset({"manager", "head_butler"})
ZONE_EDITORS = frozenset({"butler"})
FRONT_DESK = frozenset({"manager", "head_butler", "butler", "assistant"})
HISTORY_READERS = frozenset({"manager", "head_butler", "butler"})
STAFF_VIEWERS = frozenset({"manager", "head_butler"})
STAFF_MANAGERS = frozenset({"manager"})
UNMASKERS = frozenset({"manager", "head_butler", "butler"})
IMPORTERS = frozenset({"manager", "head_butler"})
EXPORTERS = frozenset({"manager", "head_butler", "finance"})
CUSTODIANS = frozenset({"manager", "head_butler", "butler", "assistant"})

# Derived sets. Zone A is the butler's, zone B is not; the owner reads their own unit and
# archive entry (and may see their own clear data), nothing else.
EDITORS_OF_ZONE_A = REGISTRY_EDITORS | ZONE_EDITORS
EDITORS_OF_ZONE_B = REGISTRY_EDITORS
UNMASK_ZONE_A = UNMASKERS & EDITORS_OF_ZONE_A
UNMASK_ZONE_B = UNMASKERS & EDITORS_OF_ZONE_B
OWNER = frozenset({"owner"})
OUTSIDER = frozenset({"outsider"})

CAPABILITY_HOLDERS = {
    Capability.VIEW_REGISTRY: REGISTRY_VIEWERS,
    Capability.EDIT_REGISTRY: REGISTRY_EDITORS,
    Capability.EDIT_ZONE_REGISTRY: ZONE_EDITORS,
    Capability.IMPORT_REGISTRY: IMPORTERS,
    Capability.EXPORT_REGISTRY: EXPORTERS,
    Capability.UNMASK_PERSONAL: UNMASKERS,
    Capability.FRONT_DESK_SEARCH: FRONT_DESK,
    Capability.VIEW_HISTORY: HISTORY_READERS,
    Capability.VIEW_STAFF: STAFF_VIEWERS,
    Capability.MANAGE_STAFF: STAFF_MANAGERS,
    Capability.RECEIVE_WORK: NOBODY,
    Capability.HANDLE_CUSTODY: CUSTODIANS,
    Capability.VIEW_REQUESTS: CUSTODIANS,
    Capability.HANDLE_REQUESTS: frozenset({"manager", "head_butler", "assistant"}),
    Capability.HANDLE_ZONE_REQUESTS: ZONE_EDITORS,
    Capability.MANAGE_SERVICE_LEVELS: STAFF_MANAGERS,
    Capability.ANALYSE_COMPLAINTS: STAFF_VIEWERS,
    Capability.NAME_DUTY_MANAGER: STAFF_VIEWERS,
    Capability.VIEW_BILLING: frozenset({"manager", "head_butler", "finance"}),
    Capability.VIEW_ZONE_BILLING: ZONE_EDITORS,
    Capability.MANAGE_BILLING: frozenset({"manager", "finance"}),
    Capability.APPROVE_REVERSALS: STAFF_MANAGERS,
    Capability.VIEW_FIGURES: frozenset({"manager"}),
    Capability.SET_TARGETS: frozenset({"manager"}),
}

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class World:
    """The cast plus the few objects the table needs besides: a vacant unit in zone A to
    link people to, a building to add units to, one archive document per resident, and a
    checked registry import waiting for confirmation in each estate."""

    cast: Cast
    spare_unit: Any
    building_1: Any
    attachment_a: Any
    attachment_b: Any
    import_job: Any
    other_import_job: Any
    key: Any  # in store, 王阿姨 may borrow it
    lent_key: Any
    parcel: Any  # waiting on the shelf for 张三
    handover: Any  # written by another assistant, not yet acknowledged
    extras: dict[str, Any] = field(default_factory=dict)  # the objects of the domain row modules
    sessions: dict[str, str] = field(default_factory=dict)  # role -> the key of a signed-in session

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or "cast" not in self.__dict__:  # copying looks up hooks on a bare instance
            raise AttributeError(name)
        if name in self.extras:
            return self.extras[name]
        return getattr(self.cast, name)

    def for_one_test(self) -> World:
        """A copy whose objects one test may change: each object copied one level (a model
        instance gets its own field values and cache of related objects), at a small part of
        what a deep copy of the whole graph costs."""
        cast = Cast(**{part.name: copy.copy(getattr(self.cast, part.name)) for part in fields(Cast)})
        copied = {
            part.name: copy.copy(getattr(self, part.name))
            for part in fields(self)
            if part.name not in ("cast", "extras", "sessions")
        }
        extras = {name: copy.copy(value) for name, value in self.extras.items()}
        return World(cast=cast, **copied, extras=extras, sessions=self.sessions)


def previewed_import(estate, actor):
    """An import job whose dry run found a clean file: the stage at which it can be confirmed."""
    job = jobs.start_job(
        import_stages.IMPORT_KIND,
        estate.pk,
        actor,
        {"path": "/nonexistent/registry.xlsx", "dry_run": True, "filename": "registry.xlsx"},
    )
    counts = {"units": 0, "buildings": 0, "people": 0, "residencies": 0, "problems": 0}
    result = {"filename": "registry.xlsx", "counts": counts, "units": [], "people": [], "errors": [], "error_count": 0}
    jobs.update_job(job.pk, stage=import_stages.PREVIEWED, result=result)
    job.refresh_from_db()
    return job


@pytest.fixture(scope="class")
def shared_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The cast and the world, written once for a class of the table inside a transaction
    that is rolled back at the end. Each test runs in a savepoint within it (the `db` fixture),
    so it starts from this state and leaves nothing behind — as Django's setUpTestData does."""
    media = tmp_path_factory.mktemp("world-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world(make_cast())
            world.sessions = signed_in_sessions(world.cast)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield world, media
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def world(db, shared_world, media_root) -> World:
    """A copy of the shared world for one test, with the attachment files in its MEDIA_ROOT
    (hard links: storage never writes into a file it has, it adds and deletes files)."""
    world, media = shared_world
    shutil.copytree(media, media_root, dirs_exist_ok=True, copy_function=os.link)
    return world.for_one_test()


def signed_in_sessions(cast: Cast) -> dict[str, str]:
    """A session for each member of the cast, made with the world: a test hands its client
    the cookie instead of signing in (which writes a session, last_login and a login record)."""
    sessions = {}
    for role in ROLES:
        client = Client()
        client.force_login(cast.user(role))
        sessions[role] = client.session.session_key
    return sessions


def build_world(cast: Cast) -> World:
    building_1 = cast.unit_a.building
    spare_unit = UnitFactory(building=building_1, entrance="1", number="1202", floor=12, zone=cast.zone_a)
    attachments = [
        people_actions.add_attachment(
            actor=cast.manager, person=person, title="购房合同", upload=SimpleUploadedFile("contract.pdf", PDF)
        )
        for person in (cast.owner_person, cast.neighbour)
    ]
    import_job = previewed_import(cast.estate, cast.manager)
    other_import_job = previewed_import(cast.other_estate, None)
    world = World(cast, spare_unit, building_1, *attachments, import_job, other_import_job, *custody(cast))
    world.extras["owner_notification"] = notify(recipient=cast.owner, subject="矩阵通知", estate=cast.estate)
    world.extras["finance_posting"] = cast.finance.postings.get(estate=cast.estate)
    world.extras["manager_token"] = issue_api_token(actor=cast.manager, user=cast.manager, name="矩阵")[0]
    for rows in DOMAIN_ROWS:
        world.extras.update(rows.objects(world))
    return world


def custody(cast):
    """A key ready to lend, a key lent out, a parcel waiting, a handover to acknowledge."""
    until = timezone.localdate() + datetime.timedelta(days=30)
    key = desk_actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag="K-A", slot="1", unit=cast.unit_a
    )
    desk_actions.authorize_borrower(
        actor=cast.butler,
        key=key,
        borrower_name="王阿姨",
        borrower_phone="13900001111",
        purpose="保洁",
        valid_until=until,
    )
    lent_key = desk_actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.FACILITY, tag="F-A", slot="2", facility="水泵房"
    )
    desk_actions.lend_key(
        actor=cast.assistant,
        key=lent_key,
        borrower_name="老李",
        borrower_phone="13900002222",
        due_at=timezone.now() + datetime.timedelta(hours=2),
    )
    parcel = desk_actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="B2", tracking_number="SF-MATRIX"
    )
    night_shift = UserFactory(username="assistant_night", display_name="夜班助理")
    PostingFactory(user=night_shift, estate=cast.estate, post="assistant")
    handover = desk_actions.write_handover(actor=night_shift, estate=cast.estate, note="交接矩阵")
    return key, lent_key, parcel, handover


@dataclass(frozen=True)
class Endpoint:
    kind: str  # PAGE or API
    method: str
    target: str  # a URL name for pages, an OpenAPI path for the API
    allowed: frozenset[str]
    objects: tuple[tuple[str, str], ...] = ()  # (URL argument, World attribute)
    body: Callable[[World], dict] | None = field(default=None, compare=False)
    # A read of personal data (an archive document) writes its read log when allowed.
    logs_read: bool = False

    @property
    def id(self) -> str:
        objects = ",".join(attribute for _, attribute in self.objects)
        return f"{self.method} {self.target}" + (f" [{objects}]" if objects else "")

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def url(self, world: World) -> str:
        # An argument is a World attribute's pk, or a literal written "=value" (a guide's name).
        kwargs = {
            argument: attribute[1:] if attribute.startswith("=") else getattr(world, attribute).pk
            for argument, attribute in self.objects
        }
        if self.kind == PAGE:
            return reverse(self.target, kwargs=kwargs)
        return self.target.format(**kwargs)

    def send(self, client, world: World):
        url = self.url(world)
        body = self.body(world) if self.body else {}
        if self.method == "GET":
            return client.get(url)
        if self.kind == PAGE or any(isinstance(value, SimpleUploadedFile) for value in body.values()):
            assert self.method == "POST", self.id
            return client.post(url, body)  # a form, multipart
        # Money writes require an idempotency key (a new one per request); others ignore it.
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        return client.generic(self.method, url, json.dumps(body), content_type="application/json", headers=headers)


def page(method: str, name: str, allowed, body=None, *, logs_read: bool = False, **objects: str) -> Endpoint:
    return Endpoint(PAGE, method, name, frozenset(allowed), tuple(objects.items()), body, logs_read)


def operation(method: str, path: str, allowed, body=None, **objects: str) -> Endpoint:
    return Endpoint(API, method, "/api/v1" + path, frozenset(allowed), tuple(objects.items()), body)


# Bodies of the writes: valid ones, so that an allowed write really writes.
def unit_form(unit_attribute: str, zone_attribute: str):
    def body(world: World) -> dict:
        unit = getattr(world, unit_attribute)
        return {
            "floor": unit.floor,
            "area": "101.25",
            "house_type": unit.house_type,
            "status": "occupied",
            "delivery_date": "2024-06-30",
            "zone": getattr(world, zone_attribute).pk,
            "note": "矩阵测试",
        }

    return body


def person_form(person_attribute: str):
    def body(world: World) -> dict:
        person = getattr(world, person_attribute)
        return {
            "name": person.name,
            "phone": person.phone,
            "email": "",
            "id_type": person.id_type,
            "id_number": "",
            "emergency_contact_name": "",
            "emergency_contact_phone": "",
            "special_needs": "",
            "preferences": "",
            "note": "矩阵测试",
        }

    return body


def new_person_form(world: World) -> dict:
    return {"name": "赵新", "phone": "13600001111", "id_type": "resident_id", "id_number": "", "note": ""}


def link_form(unit_attribute: str):
    return lambda world: {"unit_code": getattr(world, unit_attribute).code, "relation": "tenant"}


def upload_form(world: World) -> dict:
    return {"title": "装修协议", "file": SimpleUploadedFile("agreement.pdf", PDF, content_type="application/pdf")}


@cache
def empty_workbook() -> bytes:
    buffer = io.BytesIO()
    excel.write_registry(buffer, [], [])
    return buffer.getvalue()


def workbook_upload(world: World) -> dict:
    upload = SimpleUploadedFile("registry.xlsx", empty_workbook(), content_type=xlsx.XLSX_CONTENT_TYPE)
    return {"file": upload}


def purpose(world: World) -> dict:
    return {"purpose": "核对业主身份"}


def link_body(unit_attribute: str):
    return lambda world: {"unit_id": getattr(world, unit_attribute).pk, "relation": "tenant"}


def new_unit_body(world: World) -> dict:
    return {
        "building_id": world.building_1.pk,
        "entrance": "1",
        "number": "1301",
        "floor": 13,
        "area": "88.00",
        "house_type": "high_rise",
        "zone_id": world.zone_a.pk,
    }


def new_posting_body(world: World) -> dict:
    return {"user_id": world.assistant.pk, "post": "general_affairs"}


def new_posting_form(world: World) -> dict:
    return {"username": world.assistant.username, "post": "general_affairs"}


def zone_butler_body(world: World) -> dict:
    return {"butler_id": world.butler.pk}  # zone B has none yet


def constant(values: dict):
    return lambda world: values


NOTE = constant({"note": "矩阵测试"})
PLATE = constant({"plate": "沪A12345"})
NEW_BUILDING = constant({"code": "9", "name": "9栋"})
NEW_PERSON = constant({"name": "赵新", "phone": "13600001111"})
NEW_KEY = constant({"kind": "facility", "tag": "F-NEW", "slot": "9", "facility": "配电房"})
AUTHORIZE = constant(
    {"borrower_name": "小陈", "borrower_phone": "13700001111", "purpose": "维修", "valid_until": "2099-01-01"}
)
LEND = constant({"borrower_name": "王阿姨", "borrower_phone": "13900001111", "due_at": "2099-01-01T10:00:00+08:00"})
SHIFT_NOTE = constant({"note": "早班交接"})


def new_parcel(world: World) -> dict:
    return {"unit_id": world.unit_b.pk, "recipient_name": "李四", "shelf": "B3", "tracking_number": "YT-NEW"}


def parcel_code(world: World) -> dict:
    return {"pickup_code": world.parcel.pickup_code, "collected_by_name": "张三"}


VIEWERS_AND_OWNER = REGISTRY_VIEWERS | OWNER

# The rows of the registry, the accounts and the custody ledger's API; the other domains keep
# theirs in the row modules.
REGISTRY_ENDPOINTS: list[Endpoint] = [
    # accounts
    page("GET", "home", EVERYONE),
    page("GET", "accounts:no_post", EVERYONE),
    page("GET", "accounts:portal", OWNER),
    page("GET", "accounts:staff", STAFF_VIEWERS, estate_id="estate"),
    page("GET", "accounts:staff", NOBODY, estate_id="other_estate"),  # the outsider is a butler there
    page("POST", "accounts:posting_create", STAFF_MANAGERS, new_posting_form, estate_id="estate"),
    page("POST", "accounts:posting_create", NOBODY, new_posting_form, estate_id="other_estate"),
    page("POST", "accounts:posting_end", STAFF_MANAGERS, posting_id="finance_posting"),
    page("POST", "accounts:password_reset", STAFF_MANAGERS, estate_id="estate", user_id="finance"),
    page("POST", "accounts:password_reset", NOBODY, estate_id="other_estate", user_id="outsider"),
    # each user's own password and API tokens
    page("GET", "accounts:password_change", EVERYONE),
    page("GET", "accounts:tokens", EVERYONE),
    page("POST", "accounts:token_revoke", STAFF_MANAGERS, token_id="manager_token"),
    # notifications: each user reads their own inbox
    page("GET", "notifications:inbox", EVERYONE),
    # the user guides: no data of any estate, for anyone signed in
    page("GET", "core:my_guide", EVERYONE),
    page("GET", "core:guide", EVERYONE, slug="=manager"),
    page("GET", "core:guide_screenshot", EVERYONE, file="=desk.png"),
    page("POST", "notifications:read", OWNER, notification_id="owner_notification"),
    # estates
    page("GET", "estates:dashboard", REGISTRY_VIEWERS, estate_id="estate"),
    page("GET", "estates:dashboard", OUTSIDER, estate_id="other_estate"),
    page("GET", "estates:my_zone", REGISTRY_VIEWERS, estate_id="estate"),
    page("GET", "estates:units", REGISTRY_VIEWERS, estate_id="estate"),
    page("GET", "estates:zone", REGISTRY_VIEWERS, zone_id="zone_a"),
    page("GET", "estates:zone", REGISTRY_VIEWERS, zone_id="zone_b"),
    page("GET", "people:unit", VIEWERS_AND_OWNER, unit_id="unit_a"),
    page("GET", "people:unit", REGISTRY_VIEWERS, unit_id="unit_b"),
    page("GET", "people:unit", OUTSIDER, unit_id="other_unit"),
    page("GET", "estates:unit_edit", EDITORS_OF_ZONE_A, unit_id="unit_a"),
    page("GET", "estates:unit_edit", EDITORS_OF_ZONE_B, unit_id="unit_b"),
    page("POST", "estates:unit_edit", EDITORS_OF_ZONE_A, unit_form("unit_a", "zone_a"), unit_id="unit_a"),
    page("POST", "estates:unit_edit", EDITORS_OF_ZONE_B, unit_form("unit_b", "zone_b"), unit_id="unit_b"),
    page("GET", "estates:unit_history", HISTORY_READERS, unit_id="unit_a"),
    page("GET", "estates:unit_history", HISTORY_READERS, unit_id="unit_b"),
    # people
    page("GET", "people:frontdesk", FRONT_DESK, estate_id="estate"),
    page("GET", "people:frontdesk", OUTSIDER, estate_id="other_estate"),
    page("GET", "people:person_create", EDITORS_OF_ZONE_A, estate_id="estate"),
    page("POST", "people:person_create", EDITORS_OF_ZONE_A, new_person_form, estate_id="estate"),
    page("GET", "people:person", VIEWERS_AND_OWNER, person_id="owner_person"),
    page("GET", "people:person", REGISTRY_VIEWERS, person_id="neighbour"),
    page("GET", "people:person", OUTSIDER, person_id="stranger"),
    page("GET", "people:person_edit", EDITORS_OF_ZONE_A, person_id="owner_person"),
    page("GET", "people:person_edit", EDITORS_OF_ZONE_B, person_id="neighbour"),
    page("POST", "people:person_edit", EDITORS_OF_ZONE_A, person_form("owner_person"), person_id="owner_person"),
    page("POST", "people:person_edit", EDITORS_OF_ZONE_B, person_form("neighbour"), person_id="neighbour"),
    page("POST", "people:reveal", UNMASK_ZONE_A | OWNER, purpose, person_id="owner_person"),
    page("POST", "people:reveal", UNMASK_ZONE_B, purpose, person_id="neighbour"),
    page("POST", "people:link_unit", EDITORS_OF_ZONE_A, link_form("spare_unit"), person_id="owner_person"),
    page("POST", "people:link_unit", EDITORS_OF_ZONE_B, link_form("unit_b"), person_id="owner_person"),
    page("POST", "people:link_unit", EDITORS_OF_ZONE_B, link_form("spare_unit"), person_id="neighbour"),
    page("POST", "people:add_vehicle", EDITORS_OF_ZONE_A, PLATE, person_id="owner_person"),
    page("POST", "people:add_vehicle", EDITORS_OF_ZONE_B, PLATE, person_id="neighbour"),
    page("POST", "people:upload_attachment", EDITORS_OF_ZONE_A, upload_form, person_id="owner_person"),
    page("POST", "people:upload_attachment", EDITORS_OF_ZONE_B, upload_form, person_id="neighbour"),
    page("GET", "people:person_history", HISTORY_READERS, person_id="owner_person"),
    page("GET", "people:person_history", HISTORY_READERS, person_id="neighbour"),
    page("GET", "people:attachment", UNMASK_ZONE_A | OWNER, logs_read=True, attachment_id="attachment_a"),
    page("GET", "people:attachment", UNMASK_ZONE_B, logs_read=True, attachment_id="attachment_b"),
    # front desk
    page("GET", "frontdesk:unit_desk", CUSTODIANS, unit_id="unit_a"),
    page("GET", "frontdesk:unit_desk", CUSTODIANS, unit_id="unit_b"),
    page("GET", "frontdesk:unit_desk", OUTSIDER, unit_id="other_unit"),
    # registry workbook: import (a job per upload) and export
    page("GET", "people_import:upload", IMPORTERS, estate_id="estate"),
    page("GET", "people_import:upload", NOBODY, estate_id="other_estate"),
    page("POST", "people_import:upload", IMPORTERS, workbook_upload, estate_id="estate"),
    page("GET", "people_import:template", IMPORTERS, estate_id="estate"),
    page("GET", "people_import:template", NOBODY, estate_id="other_estate"),
    page("GET", "people_import:job", IMPORTERS, estate_id="estate", job_id="import_job"),
    page("GET", "people_import:job", NOBODY, estate_id="estate", job_id="other_import_job"),  # another estate's
    page("GET", "people_import:progress", IMPORTERS, estate_id="estate", job_id="import_job"),
    page("POST", "people_import:confirm", IMPORTERS, estate_id="estate", job_id="import_job"),
    page("POST", "people_import:confirm", NOBODY, estate_id="estate", job_id="other_import_job"),
    page("GET", "people_import:export", EXPORTERS, estate_id="estate"),
    page("GET", "people_import:export", NOBODY, estate_id="other_estate"),
    # API: accounts
    operation("GET", "/me", EVERYONE),
    operation("GET", "/estates/{estate_id}/postings", STAFF_VIEWERS, estate_id="estate"),
    operation("GET", "/estates/{estate_id}/postings", NOBODY, estate_id="other_estate"),
    operation("POST", "/estates/{estate_id}/postings", STAFF_MANAGERS, new_posting_body, estate_id="estate"),
    operation("POST", "/postings/{posting_id}/end", STAFF_MANAGERS, posting_id="finance_posting"),
    operation(
        "POST",
        "/estates/{estate_id}/staff/{user_id}/password-reset",
        STAFF_MANAGERS,
        estate_id="estate",
        user_id="finance",
    ),
    operation("GET", "/me/tokens", EVERYONE),
    operation("POST", "/me/tokens/{token_id}/revoke", STAFF_MANAGERS, token_id="manager_token"),
    operation("GET", "/me/notifications", EVERYONE),
    operation("POST", "/notifications/{notification_id}/read", OWNER, notification_id="owner_notification"),
    # API: registry
    operation("GET", "/estates", EVERYONE),  # each sees the estates they hold posts in
    operation("GET", "/estates/{estate_id}", REGISTRY_VIEWERS, estate_id="estate"),
    operation("GET", "/estates/{estate_id}", OUTSIDER, estate_id="other_estate"),
    operation("GET", "/estates/{estate_id}/zones", REGISTRY_VIEWERS, estate_id="estate"),
    operation("PUT", "/zones/{zone_id}/butler", STAFF_MANAGERS, zone_butler_body, zone_id="zone_b"),
    operation("GET", "/estates/{estate_id}/buildings", REGISTRY_VIEWERS, estate_id="estate"),
    operation("POST", "/estates/{estate_id}/buildings", REGISTRY_EDITORS, NEW_BUILDING, estate_id="estate"),
    operation("GET", "/estates/{estate_id}/units", REGISTRY_VIEWERS, estate_id="estate"),
    operation("GET", "/estates/{estate_id}/units", OUTSIDER, estate_id="other_estate"),
    operation("POST", "/estates/{estate_id}/units", REGISTRY_EDITORS, new_unit_body, estate_id="estate"),
    operation("GET", "/units/{unit_id}", VIEWERS_AND_OWNER, unit_id="unit_a"),
    operation("GET", "/units/{unit_id}", REGISTRY_VIEWERS, unit_id="unit_b"),
    operation("GET", "/units/{unit_id}", OUTSIDER, unit_id="other_unit"),
    operation("PATCH", "/units/{unit_id}", EDITORS_OF_ZONE_A, NOTE, unit_id="unit_a"),
    operation("PATCH", "/units/{unit_id}", EDITORS_OF_ZONE_B, NOTE, unit_id="unit_b"),
    operation("GET", "/units/{unit_id}/history", HISTORY_READERS, unit_id="unit_a"),
    operation("GET", "/units/{unit_id}/history", HISTORY_READERS, unit_id="unit_b"),
    # API: people
    operation("GET", "/estates/{estate_id}/people", REGISTRY_VIEWERS, estate_id="estate"),
    operation("GET", "/estates/{estate_id}/people", OUTSIDER, estate_id="other_estate"),
    operation("POST", "/estates/{estate_id}/people", EDITORS_OF_ZONE_A, NEW_PERSON, estate_id="estate"),
    operation("GET", "/estates/{estate_id}/search", FRONT_DESK, estate_id="estate"),
    operation("GET", "/estates/{estate_id}/search", OUTSIDER, estate_id="other_estate"),
    operation("GET", "/people/{person_id}", VIEWERS_AND_OWNER, person_id="owner_person"),
    operation("GET", "/people/{person_id}", REGISTRY_VIEWERS, person_id="neighbour"),
    operation("GET", "/people/{person_id}", OUTSIDER, person_id="stranger"),
    operation("PATCH", "/people/{person_id}", EDITORS_OF_ZONE_A, NOTE, person_id="owner_person"),
    operation("PATCH", "/people/{person_id}", EDITORS_OF_ZONE_B, NOTE, person_id="neighbour"),
    operation(
        "POST", "/people/{person_id}/units", EDITORS_OF_ZONE_A, link_body("spare_unit"), person_id="owner_person"
    ),
    operation("POST", "/people/{person_id}/units", EDITORS_OF_ZONE_B, link_body("unit_b"), person_id="owner_person"),
    operation("POST", "/people/{person_id}/units", EDITORS_OF_ZONE_B, link_body("spare_unit"), person_id="neighbour"),
    operation("POST", "/people/{person_id}/vehicles", EDITORS_OF_ZONE_A, PLATE, person_id="owner_person"),
    operation("POST", "/people/{person_id}/vehicles", EDITORS_OF_ZONE_B, PLATE, person_id="neighbour"),
    operation("POST", "/people/{person_id}/reveal", UNMASK_ZONE_A | OWNER, purpose, person_id="owner_person"),
    operation("POST", "/people/{person_id}/reveal", UNMASK_ZONE_B, purpose, person_id="neighbour"),
    operation("GET", "/people/{person_id}/history", HISTORY_READERS, person_id="owner_person"),
    operation("GET", "/people/{person_id}/history", HISTORY_READERS, person_id="neighbour"),
    # API: registry workbook
    operation("POST", "/estates/{estate_id}/imports", IMPORTERS, workbook_upload, estate_id="estate"),
    operation("GET", "/estates/{estate_id}/imports/{job_id}", IMPORTERS, estate_id="estate", job_id="import_job"),
    operation("GET", "/estates/{estate_id}/imports/{job_id}", NOBODY, estate_id="estate", job_id="other_import_job"),
    operation(
        "POST", "/estates/{estate_id}/imports/{job_id}/confirm", IMPORTERS, estate_id="estate", job_id="import_job"
    ),
    operation(
        "POST", "/estates/{estate_id}/imports/{job_id}/confirm", NOBODY, estate_id="estate", job_id="other_import_job"
    ),
    operation("GET", "/estates/{estate_id}/export", EXPORTERS, estate_id="estate"),
    operation("GET", "/estates/{estate_id}/export", NOBODY, estate_id="other_estate"),
    # API: front desk custody ledger (its page is listed with the pages above)
    operation("GET", "/estates/{estate_id}/keys", CUSTODIANS, estate_id="estate"),
    operation("GET", "/estates/{estate_id}/keys", OUTSIDER, estate_id="other_estate"),
    operation("POST", "/estates/{estate_id}/keys", CUSTODIANS, NEW_KEY, estate_id="estate"),
    operation("POST", "/keys/{key_id}/authorizations", CUSTODIANS, AUTHORIZE, key_id="key"),
    operation("POST", "/keys/{key_id}/lend", CUSTODIANS, LEND, key_id="key"),
    operation("POST", "/keys/{key_id}/return", CUSTODIANS, key_id="lent_key"),
    operation("GET", "/estates/{estate_id}/parcels", CUSTODIANS, estate_id="estate"),
    operation("POST", "/estates/{estate_id}/parcels", CUSTODIANS, new_parcel, estate_id="estate"),
    operation("GET", "/parcels/{parcel_id}", CUSTODIANS | OWNER, parcel_id="parcel"),
    operation("POST", "/parcels/{parcel_id}/handover", CUSTODIANS, parcel_code, parcel_id="parcel"),
    operation("GET", "/estates/{estate_id}/handovers", CUSTODIANS, estate_id="estate"),
    operation("POST", "/estates/{estate_id}/handovers", CUSTODIANS, SHIFT_NOTE, estate_id="estate"),
    operation("POST", "/handovers/{handover_id}/acknowledge", CUSTODIANS, handover_id="handover"),
]
# The table in parts, a test class each (below).
TABLE_PARTS: dict[str, list[Endpoint]] = {
    "registry": REGISTRY_ENDPOINTS,
    "frontdesk": access_frontdesk.endpoints(),
    "servicedesk pages": access_servicedesk.endpoints(),
    "servicedesk API": access_servicedesk_api.endpoints(),
    "billing pages": access_billing.endpoints(),
    "billing API": access_billing_api.endpoints(),
    "reports": access_reports.endpoints(),
}
ENDPOINTS = [endpoint for rows in TABLE_PARTS.values() for endpoint in rows]


def check_answer(endpoint: Endpoint, role: str, response) -> None:
    status = response.status_code
    shown = f"{role} {endpoint.id}: {status} {getattr(response, 'content', b'')[:300]!r}"
    if role == ANONYMOUS:
        if endpoint.kind == PAGE:
            assert status == 302, shown
            assert response.url.startswith(reverse("login") + "?next="), shown
        else:
            assert status == 401, shown
    elif role in endpoint.allowed:
        assert 200 <= status < 400, shown
    else:
        assert status == 404, shown


def access_test(part: str):
    """test_access over the rows of one part of the table and every role."""
    rows = TABLE_PARTS[part]

    @pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
    @pytest.mark.parametrize("endpoint", rows, ids=[endpoint.id for endpoint in rows])
    def test_access(self, client, world: World, endpoint: Endpoint, role: str):
        if role != ANONYMOUS:
            client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
        with WriteWatch() as watch:
            response = endpoint.send(client, world)
        changes = watch.changes()
        check_answer(endpoint, role, response)
        if endpoint.writes and role in endpoint.allowed:
            assert changes, f"{role} {endpoint.id} was allowed but wrote nothing: is the table's body valid?"
        elif endpoint.logs_read and role in endpoint.allowed:
            written = watch.written
            assert written and all("people_personaldataread" in statement for statement in written), written
        else:
            # A GET is safe; a denied write (or an anonymous one) leaves every row as it was.
            assert not changes, f"{role} {endpoint.id} changed the database: " + "; ".join(changes)

    return test_access


class AccessPart:
    """One class per part of the table: the shared world lives exactly as long as a class's
    tests, and parallel workers (pytest-xdist --dist loadscope) take a class each. Marked
    `matrix`: who may reach what is decided by the access functions, the same on either database,
    so CI runs the table on SQLite only (.ci/run)."""

    pytestmark = [pytest.mark.matrix]
    part = ""


class TestRegistryAccess(AccessPart):
    part = "registry"
    test_access = access_test(part)


class TestFrontdeskAccess(AccessPart):
    part = "frontdesk"
    test_access = access_test(part)


class TestServicedeskPageAccess(AccessPart):
    part = "servicedesk pages"
    test_access = access_test(part)


class TestServicedeskApiAccess(AccessPart):
    part = "servicedesk API"
    test_access = access_test(part)


class TestBillingPageAccess(AccessPart):
    part = "billing pages"
    test_access = access_test(part)


class TestBillingApiAccess(AccessPart):
    part = "billing API"
    test_access = access_test(part)


class TestReportsAccess(AccessPart):
    part = "reports"
    test_access = access_test(part)


def test_every_part_of_the_table_has_its_class():
    assert sorted(test_class.part for test_class in AccessPart.__subclasses__()) == sorted(TABLE_PARTS)


# The table against the application ---------------------------------------------------


def url_names(patterns, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            names |= url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def page_names() -> set[str]:
    return {
        name
        for name in url_names(get_resolver().url_patterns)
        if name not in PUBLIC_PAGES and name.split(":")[0] != API_NAMESPACE
    }


def api_operations() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the OpenAPI schema."""
    paths = api.get_openapi_schema()["paths"]
    return {
        (method.upper(), path)
        for path, methods in paths.items()
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_every_endpoint_has_an_access_row():
    covered_pages = {endpoint.target for endpoint in ENDPOINTS if endpoint.kind == PAGE}
    covered_operations = {(endpoint.method, endpoint.target) for endpoint in ENDPOINTS if endpoint.kind == API}
    missing_pages = page_names() - covered_pages
    missing_operations = api_operations() - covered_operations - PUBLIC_OPERATIONS
    assert not missing_pages, f"pages without a row in ENDPOINTS: {sorted(missing_pages)}"
    assert not missing_operations, f"API operations without a row in ENDPOINTS: {sorted(missing_operations)}"


def test_every_access_row_names_a_real_endpoint():
    pages, operations = page_names(), api_operations()
    for endpoint in ENDPOINTS:
        if endpoint.kind == PAGE:
            assert endpoint.target in pages, endpoint.id
        else:
            assert (endpoint.method, endpoint.target) in operations, endpoint.id
        assert endpoint.allowed <= EVERYONE, endpoint.id


def test_every_write_row_has_a_denied_role():
    """A write everyone may do would prove nothing about refusals."""
    for endpoint in ENDPOINTS:
        if endpoint.writes:
            assert EVERYONE - endpoint.allowed, endpoint.id


def test_role_sets_follow_the_capability_table(cast):
    assert set(CAPABILITY_HOLDERS) == set(Capability), "a capability without a row in CAPABILITY_HOLDERS"
    for capability, expected in CAPABILITY_HOLDERS.items():
        holders = {role for role in ROLES if scope_of(cast.user(role)).can(cast.estate.pk, capability)}
        assert holders == expected, capability
    # The outsider holds posts only in the other estate; the owner holds none.
    assert set(scope_of(cast.outsider).posts) == {cast.other_estate.pk}
    assert not scope_of(cast.owner).posts
    assert scope_of(cast.butler).zone_ids == {cast.zone_a.pk}


# Bearer tokens --------------------------------------------------------------------------


def test_token_user_gets_the_same_404_for_another_estates_unit(client, cast, unchanged):
    _, token = issue_api_token(actor=cast.outsider, user=cast.outsider, name="矩阵测试")
    bearer = {"Authorization": f"Bearer {token}"}

    own = client.get(f"/api/v1/units/{cast.other_unit.pk}", headers=bearer)
    assert own.status_code == 200, own.content
    assert own.json()["code"] == cast.other_unit.code

    foreign = client.get(f"/api/v1/units/{cast.unit_a.pk}", headers=bearer)
    missing = client.get("/api/v1/units/987654321", headers=bearer)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content  # forbidden looks exactly like missing

    with unchanged():
        write = client.patch(
            f"/api/v1/units/{cast.unit_a.pk}",
            json.dumps({"note": "x"}),
            content_type="application/json",
            headers=bearer,
        )
    assert write.status_code == 404

    # The same refusal as for the outsider signed in with a session.
    client.force_login(cast.outsider)
    by_session = client.get(f"/api/v1/units/{cast.unit_a.pk}")
    assert by_session.status_code == 404
    assert by_session.content == foreign.content


def test_a_wrong_token_is_401(client, cast):
    response = client.get(f"/api/v1/units/{cast.unit_a.pk}", headers={"Authorization": "Bearer gj_not-a-token"})
    assert response.status_code == 401


def test_the_outsider_lists_nothing_of_the_home_estate(client, cast):
    client.force_login(cast.outsider)
    estates = client.get("/api/v1/estates").json()
    assert [estate["id"] for estate in estates] == [cast.other_estate.pk]
    # Filters naming the home estate's zone or building find nothing in the outsider's estate.
    units = client.get(f"/api/v1/estates/{cast.other_estate.pk}/units?zone_id={cast.zone_a.pk}").json()
    assert units == []
    people = client.get(f"/api/v1/estates/{cast.other_estate.pk}/people").json()
    assert {person["name"] for person in people} == {"王五"}
    found = client.get(f"/api/v1/estates/{cast.other_estate.pk}/search?q=zs").json()
    assert found["people"] == []

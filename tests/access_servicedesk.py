"""Access rows of the servicedesk pages (see tests/test_access_matrix.py).

From core/roles.py and guanjia/servicedesk/access.py: the intake screen is the front desk's
(FRONT_DESK_SEARCH); my loops and my work are every posted member of staff's own lists; the
board is for VIEW_REQUESTS holders; a request is seen by its first responder, its assignee,
VIEW_REQUESTS holders and the owner it is for (who is sent to the portal page), and acted on
by HANDLE_REQUESTS holders, the zone's butler, its first responder or assignee (who may also
call its contact from it); the service workbench is for VIEW_REQUESTS holders; complaints
are classified and summarised by ANALYSE_COMPLAINTS holders; service levels are the
manager's; the portal pages are the owner's, for their own requests only. The requests below
are received by the assistant: one for unit_a (张三, zone A), one for unit_b (李四, zone B),
one resolved for unit_a, a complaint; and one in the other estate, received by the outsider.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile


def photo_file() -> SimpleUploadedFile:
    from guanjia.servicedesk.tests.factories import image_bytes

    return SimpleUploadedFile("matrix.png", image_bytes("PNG"), content_type="image/png")


def objects(world: Any) -> dict[str, Any]:
    """The objects the rows below name, made once per test on top of the world."""
    from guanjia.servicedesk import actions

    cast = world.cast

    def take(unit: Any, person: Any, kind: str = "repair_in_unit") -> Any:
        return actions.receive_request(
            actor=cast.assistant,
            estate=cast.estate,
            kind=kind,
            channel="phone",
            title="页面矩阵",
            unit=unit,
            person=person,
        )

    received_a = take(cast.unit_a, cast.owner_person)
    resolved_a = take(cast.unit_a, cast.owner_person)
    actions.assign_request(actor=cast.assistant, service_request=resolved_a, assignee=cast.butler)
    actions.start_work(actor=cast.butler, service_request=resolved_a)
    actions.resolve_request(actor=cast.butler, service_request=resolved_a)
    other = actions.receive_request(
        actor=cast.outsider,
        estate=cast.other_estate,
        kind="inquiry",
        channel="phone",
        title="外区页面矩阵",
        unit=cast.other_unit,
        person=cast.stranger,
    )
    photo = actions.add_request_photo(actor=cast.assistant, service_request=received_a, upload=photo_file())
    return {
        "sdui_received_a": received_a,
        "sdui_received_b": take(cast.unit_b, cast.neighbour),
        "sdui_resolved_a": resolved_a,
        "sdui_complaint": take(None, cast.owner_person, kind="complaint"),
        "sdui_other": other,
        "sdui_photo_a": photo,
        "sdui_assign": SimpleNamespace(pk="assign"),  # the action slug in the URL
    }


def intake_form(world: Any) -> dict:
    return {
        "kind": "repair_in_unit",
        "channel": "phone",
        "priority": "normal",
        "unit": world.unit_a.code,
        "description": "矩阵报修",
        "person": world.owner_person.pk,
    }


def assign_to(user_attribute: str):
    return lambda world: {"assign-assignee": getattr(world, user_attribute).pk, "assign-note": "矩阵"}


def duty_form(world: Any) -> dict:
    import datetime

    from django.utils import timezone

    return {"date": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(), "user": world.head_butler.pk}


def photo_form(world: Any) -> dict:
    return {"photo": photo_file()}


def endpoints() -> list[Any]:
    from tests.test_access_matrix import (
        CUSTODIANS,
        FRONT_DESK,
        NOBODY,
        OUTSIDER,
        OWNER,
        REGISTRY_VIEWERS,
        STAFF_MANAGERS,
        STAFF_VIEWERS,
        constant,
        page,
    )

    posted_staff = REGISTRY_VIEWERS  # everyone of the cast posted to the home estate
    zone_a_actors = frozenset({"manager", "head_butler", "butler", "assistant"})
    zone_b_actors = frozenset({"manager", "head_butler", "assistant"})
    level = constant(
        {
            "repair_in_unit-normal-respond_minutes": "0.5",
            "repair_in_unit-normal-arrive_minutes": "",
            "repair_in_unit-normal-resolve_minutes": "8",
            "repair_in_unit-normal-return_visit_minutes": "72",
        }
    )
    classification = constant({"category": "noise", "validity": "valid", "department": "butler"})
    portal_request = constant({"kind": "repair_in_unit", "priority": "normal", "description": "矩阵门户报修"})
    confirmation = constant({"satisfaction": "5", "solved": "yes", "owner_words": ""})
    return [
        page("GET", "servicedesk:intake", FRONT_DESK, estate_id="estate"),
        page("GET", "servicedesk:intake", OUTSIDER, estate_id="other_estate"),
        page("POST", "servicedesk:intake", FRONT_DESK, intake_form, estate_id="estate"),
        page("GET", "servicedesk:my_loops", posted_staff, estate_id="estate"),
        page("GET", "servicedesk:my_loops", OUTSIDER, estate_id="other_estate"),
        page("GET", "servicedesk:my_work", posted_staff, estate_id="estate"),
        page("GET", "servicedesk:my_work", OUTSIDER, estate_id="other_estate"),
        page("GET", "servicedesk:board", CUSTODIANS, estate_id="estate"),
        page("GET", "servicedesk:board", OUTSIDER, estate_id="other_estate"),
        page("GET", "servicedesk:workbench", CUSTODIANS, estate_id="estate"),
        page("GET", "servicedesk:workbench", OUTSIDER, estate_id="other_estate"),
        page("GET", "servicedesk:service_levels", STAFF_MANAGERS, estate_id="estate"),
        page("POST", "servicedesk:service_levels", STAFF_MANAGERS, level, estate_id="estate"),
        page("GET", "servicedesk:complaints", STAFF_VIEWERS, estate_id="estate"),
        page("GET", "servicedesk:duty_managers", STAFF_VIEWERS, estate_id="estate"),
        page("GET", "servicedesk:duty_managers", NOBODY, estate_id="other_estate"),
        page("POST", "servicedesk:duty_managers", STAFF_VIEWERS, duty_form, estate_id="estate"),
        page("GET", "servicedesk:complaints", NOBODY, estate_id="other_estate"),
        page("GET", "servicedesk:request", CUSTODIANS | OWNER, request_id="sdui_received_a"),
        page("GET", "servicedesk:request", CUSTODIANS, request_id="sdui_received_b"),
        page("GET", "servicedesk:request", OUTSIDER, request_id="sdui_other"),
        page(
            "POST",
            "servicedesk:request_action",
            zone_a_actors,
            assign_to("butler"),
            request_id="sdui_received_a",
            action="sdui_assign",
        ),
        page(
            "POST",
            "servicedesk:request_action",
            zone_b_actors,
            assign_to("assistant"),
            request_id="sdui_received_b",
            action="sdui_assign",
        ),
        page(
            "POST",
            "servicedesk:request_action",
            OUTSIDER,
            assign_to("outsider"),
            request_id="sdui_other",
            action="sdui_assign",
        ),
        page("POST", "servicedesk:classify", STAFF_VIEWERS, classification, request_id="sdui_complaint"),
        page("POST", "servicedesk:add_photo", zone_a_actors | OWNER, photo_form, request_id="sdui_received_a"),
        page("POST", "servicedesk:add_photo", zone_b_actors, photo_form, request_id="sdui_received_b"),
        page("POST", "servicedesk:add_photo", OUTSIDER, photo_form, request_id="sdui_other"),
        page("GET", "servicedesk:photo", CUSTODIANS | OWNER, photo_id="sdui_photo_a"),
        page("POST", "servicedesk:call", zone_a_actors, request_id="sdui_received_a"),
        page("POST", "servicedesk:call", zone_b_actors, request_id="sdui_received_b"),
        page("POST", "servicedesk:call", OUTSIDER, request_id="sdui_other"),
        page("GET", "servicedesk:portal_requests", OWNER),
        page("GET", "servicedesk:portal_new", OWNER),
        page(
            "POST",
            "servicedesk:portal_new",
            OWNER,
            lambda world: {**portal_request(world), "unit": world.unit_a.pk},
        ),
        page("GET", "servicedesk:portal_request", OWNER, request_id="sdui_received_a"),
        page("GET", "servicedesk:portal_request", NOBODY, request_id="sdui_received_b"),
        page("GET", "servicedesk:portal_request", NOBODY, request_id="sdui_other"),
        page("POST", "servicedesk:portal_confirm", OWNER, confirmation, request_id="sdui_resolved_a"),
        page("POST", "servicedesk:portal_confirm", NOBODY, confirmation, request_id="sdui_received_b"),
        page("POST", "servicedesk:portal_add_photo", OWNER, photo_form, request_id="sdui_received_a"),
        page("POST", "servicedesk:portal_add_photo", NOBODY, photo_form, request_id="sdui_received_b"),
    ]

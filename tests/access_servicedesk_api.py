"""Access rows of the servicedesk API operations (see tests/test_access_matrix.py).

Who may do what, from core/roles.py and guanjia/servicedesk/access.py: staff posted to the
estate take requests in; VIEW_REQUESTS holders (manager, head butler, butler, assistant) see
every request of the estate, the owner sees their own; acting on a request takes
HANDLE_REQUESTS (manager, head butler, assistant), or HANDLE_ZONE_REQUESTS in one's own zone
(the butler in zone A), or being its first responder or assignee; only the owner the request
is for confirms or rejects it. The requests below are taken by the assistant; the zone A
ones are assigned to the butler.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


def png() -> bytes:
    from guanjia.servicedesk.tests.factories import image_bytes

    return image_bytes("PNG")


def objects(world: Any) -> dict[str, Any]:
    """Requests of the home estate at each step of the loop, one of the other estate, a
    complaint and a photo; and stand-ins for the path parameters that are not objects."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from guanjia.servicedesk import actions

    cast = world.cast

    def take(unit: Any, person: Any, **values: Any) -> Any:
        values.setdefault("kind", "repair_in_unit")
        return actions.receive_request(
            actor=cast.assistant,
            estate=cast.estate,
            channel="phone",
            title="矩阵报修",
            unit=unit,
            person=person,
            **values,
        )

    def walked(*steps: str) -> Any:
        service_request = take(cast.unit_a, cast.owner_person)
        for step in steps:
            if step == "assign":
                actions.assign_request(actor=cast.assistant, service_request=service_request, assignee=cast.butler)
            elif step == "start":
                actions.start_work(actor=cast.butler, service_request=service_request)
            elif step == "wait_parts":
                actions.wait_for_parts(actor=cast.butler, service_request=service_request)
            elif step == "resolve":
                actions.resolve_request(actor=cast.butler, service_request=service_request)
            elif step == "visit":
                actions.record_return_visit(
                    actor=cast.butler, service_request=service_request, how="phone", satisfaction=5, solved=True
                )
            elif step == "close":
                actions.close_request(actor=cast.butler, service_request=service_request)
        return service_request

    received_a = take(cast.unit_a, cast.owner_person)
    other = actions.receive_request(
        actor=cast.outsider,
        estate=cast.other_estate,
        kind="inquiry",
        channel="phone",
        title="外区问询",
        unit=cast.other_unit,
        person=cast.stranger,
    )
    photo = actions.add_request_photo(
        actor=cast.assistant,
        service_request=received_a,
        upload=SimpleUploadedFile("leak.png", png(), content_type="image/png"),
    )
    return {
        "sdapi_received_a": received_a,
        "sdapi_received_b": take(cast.unit_b, cast.neighbour),
        "sdapi_assigned_a": walked("assign"),
        "sdapi_in_progress_a": walked("assign", "start"),
        "sdapi_waiting_a": walked("assign", "start", "wait_parts"),
        "sdapi_resolved_a": walked("assign", "start", "resolve"),
        "sdapi_visited_a": walked("assign", "start", "resolve", "visit"),
        "sdapi_closed_a": walked("assign", "start", "resolve", "visit", "close"),
        "sdapi_complaint": take(None, cast.owner_person, kind="complaint"),
        "sdapi_other": other,
        "sdapi_photo": photo,
        "sdapi_kind": SimpleNamespace(pk="repair_in_unit"),
        "sdapi_priority": SimpleNamespace(pk="normal"),
        "sdapi_date": SimpleNamespace(pk="2030-01-02"),
    }


def endpoints() -> list[Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.test_access_matrix import (
        CUSTODIANS,
        EVERYONE,
        NOBODY,
        OUTSIDER,
        OWNER,
        STAFF_MANAGERS,
        STAFF_VIEWERS,
        constant,
        operation,
    )

    posted = frozenset({"manager", "head_butler", "butler", "assistant", "finance"})  # any post in the estate
    handlers = frozenset({"manager", "head_butler", "assistant"})  # HANDLE_REQUESTS
    zone_a_workers = handlers | {"butler"}  # and the zone A butler, who is also the assignee
    new_request = constant({"kind": "inquiry", "channel": "phone", "title": "问物业费"})

    def portal_request(world: Any) -> dict:
        return {"unit_id": world.unit_a.pk, "kind": "repair_in_unit", "title": "门锁坏了"}

    def assign_to_butler(world: Any) -> dict:
        return {"assignee_id": world.butler.pk}

    def photo(world: Any) -> dict:
        return {"photo": SimpleUploadedFile("door.png", png(), content_type="image/png")}

    def head_butler(world: Any) -> dict:
        return {"user_id": world.head_butler.pk}

    note = constant({"note": "矩阵"})
    reason = constant({"reason": "业主撤回"})
    visit = constant({"how": "phone", "satisfaction": 5, "solved": True})
    rating = constant({"rating": 5, "comment": "满意"})
    unhappy = constant({"rating": 2, "comment": "还在漏"})
    category = constant({"category": "attitude", "validity": "valid", "department": "butler"})
    minutes = constant({"resolve_minutes": 480})
    return [
        # intake and lists
        operation("POST", "/estates/{estate_id}/requests", posted, new_request, estate_id="estate"),
        operation("POST", "/estates/{estate_id}/requests", OUTSIDER, new_request, estate_id="other_estate"),
        operation("POST", "/me/requests", OWNER, portal_request),
        operation("GET", "/me/requests", EVERYONE),
        operation("GET", "/me/loops", EVERYONE),
        operation("GET", "/me/assigned", EVERYONE),
        operation("GET", "/estates/{estate_id}/requests", CUSTODIANS, estate_id="estate"),
        operation("GET", "/estates/{estate_id}/requests", OUTSIDER, estate_id="other_estate"),
        operation("GET", "/requests/{request_id}", CUSTODIANS | OWNER, request_id="sdapi_received_a"),
        operation("GET", "/requests/{request_id}", CUSTODIANS, request_id="sdapi_received_b"),
        operation("GET", "/requests/{request_id}", OUTSIDER, request_id="sdapi_other"),
        # transitions
        operation(
            "POST",
            "/requests/{request_id}/assign",
            handlers | {"butler"},
            assign_to_butler,
            request_id="sdapi_received_a",
        ),
        operation("POST", "/requests/{request_id}/assign", handlers, assign_to_butler, request_id="sdapi_received_b"),
        operation("POST", "/requests/{request_id}/start", zone_a_workers, note, request_id="sdapi_assigned_a"),
        operation("POST", "/requests/{request_id}/wait-parts", zone_a_workers, note, request_id="sdapi_in_progress_a"),
        operation("POST", "/requests/{request_id}/wait-owner", zone_a_workers, note, request_id="sdapi_in_progress_a"),
        operation("POST", "/requests/{request_id}/resume", zone_a_workers, note, request_id="sdapi_waiting_a"),
        operation("POST", "/requests/{request_id}/resolve", zone_a_workers, note, request_id="sdapi_in_progress_a"),
        operation("POST", "/requests/{request_id}/return-visit", zone_a_workers, visit, request_id="sdapi_resolved_a"),
        operation("POST", "/requests/{request_id}/close", zone_a_workers, note, request_id="sdapi_visited_a"),
        operation("POST", "/requests/{request_id}/cancel", zone_a_workers, reason, request_id="sdapi_received_a"),
        operation("POST", "/requests/{request_id}/cancel", handlers, reason, request_id="sdapi_received_b"),
        operation("POST", "/requests/{request_id}/cancel", OUTSIDER, reason, request_id="sdapi_other"),
        operation("POST", "/requests/{request_id}/reopen", zone_a_workers, note, request_id="sdapi_closed_a"),
        # the owner's answer
        operation("POST", "/requests/{request_id}/confirm", OWNER, rating, request_id="sdapi_resolved_a"),
        operation("POST", "/requests/{request_id}/reject", OWNER, unhappy, request_id="sdapi_resolved_a"),
        # photos
        operation(
            "POST", "/requests/{request_id}/photos", zone_a_workers | OWNER, photo, request_id="sdapi_received_a"
        ),
        operation("POST", "/requests/{request_id}/photos", handlers, photo, request_id="sdapi_received_b"),
        operation("GET", "/request-photos/{photo_id}", CUSTODIANS | OWNER, photo_id="sdapi_photo"),
        # complaints
        operation("PUT", "/requests/{request_id}/complaint", STAFF_VIEWERS, category, request_id="sdapi_complaint"),
        operation("GET", "/estates/{estate_id}/complaints/summary", STAFF_VIEWERS, estate_id="estate"),
        operation("GET", "/estates/{estate_id}/complaints/summary", NOBODY, estate_id="other_estate"),
        # service levels
        operation("GET", "/estates/{estate_id}/service-levels", CUSTODIANS, estate_id="estate"),
        operation(
            "PUT",
            "/estates/{estate_id}/service-levels/{kind}/{priority}",
            STAFF_MANAGERS,
            minutes,
            estate_id="estate",
            kind="sdapi_kind",
            priority="sdapi_priority",
        ),
        # duty managers
        operation("GET", "/estates/{estate_id}/duty-managers", CUSTODIANS, estate_id="estate"),
        operation(
            "PUT",
            "/estates/{estate_id}/duty-managers/{date}",
            STAFF_VIEWERS,
            head_butler,
            estate_id="estate",
            date="sdapi_date",
        ),
    ]

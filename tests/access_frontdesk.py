"""Access rows of the frontdesk pages and API operations (see tests/test_access_matrix.py).

The rows of the front-desk screen (frontdesk:unit_desk) and of the first custody API
operations stay in test_access_matrix.py; these are the desk pages, the owner portal's
custody pages and the API operations added with them."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from guanjia.frontdesk import actions
from guanjia.frontdesk.models import Key, KeyAuthorization, VisitorPass


def objects(world: Any) -> dict[str, Any]:
    """The objects the rows below name, made once per test on top of the world."""
    now = timezone.now()
    until = timezone.localdate() + datetime.timedelta(days=30)
    key_b = actions.register_key(
        actor=world.assistant, estate=world.estate, kind=Key.Kind.UNIT, tag="K-B", slot="3", unit=world.unit_b
    )
    authorization_b = actions.authorize_borrower(
        actor=world.butler,
        key=key_b,
        borrower_name="李婶",
        borrower_phone="13900004444",
        purpose="浇花",
        valid_until=until,
    )
    passes = [
        actions.issue_visitor_pass(
            person=person,
            unit=unit,
            visitor_name=name,
            kind=VisitorPass.Kind.RECURRING,
            valid_from=now - datetime.timedelta(minutes=5),
            valid_until=now + datetime.timedelta(days=1),
        )
        for person, unit, name in (
            (world.owner_person, world.unit_a, "刘医生"),
            (world.neighbour, world.unit_b, "钟点工"),
        )
    ]
    instructions = [
        actions.add_do_not_admit(person=person, unit=unit, name=name)
        for person, unit, name in ((world.owner_person, world.unit_a, "赵某"), (world.neighbour, world.unit_b, "钱某"))
    ]
    visit = actions.check_in_visitor(actor=world.assistant, unit=world.unit_a, visitor_name="孙某", purpose="送货")
    item = actions.receive_parcel(
        actor=world.assistant,
        unit=world.unit_a,
        recipient_name="张三",
        shelf="C1",
        kind="item",
        left_by="张母",
        description="一袋水果",
    )
    photos = custody_photos(world)
    return {
        **photos,
        "key_b": key_b,
        "authorization_a": KeyAuthorization.objects.get(key=world.key),
        "authorization_b": authorization_b,
        "pass_a": passes[0],
        "pass_b": passes[1],
        "instruction_a": instructions[0],
        "instruction_b": instructions[1],
        "visit": visit,
        "item": item,
    }


def png(name: str = "photo.png") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from guanjia.servicedesk.tests.factories import image_bytes

    return SimpleUploadedFile(name, image_bytes("PNG"), content_type="image/png")


def custody_photos(world: Any) -> dict[str, Any]:
    """A photo of the key to the owner's unit, of the parcel waiting for the owner, of a parcel
    for the neighbour's unit, and of a parcel in the outsider's estate."""
    parcel_b = actions.receive_parcel(
        actor=world.assistant, unit=world.unit_b, recipient_name="李四", shelf="B5", tracking_number="SF-PHOTO-B"
    )
    other_parcel = actions.receive_parcel(
        actor=world.outsider, unit=world.other_unit, recipient_name="王五", shelf="A1", tracking_number="SF-PHOTO-O"
    )
    return {
        "custody_key_photo": actions.add_key_photo(actor=world.assistant, key=world.key, upload=png("key.png")),
        "custody_parcel_photo": actions.add_parcel_photo(actor=world.assistant, parcel=world.parcel, upload=png()),
        "custody_parcel_b": parcel_b,
        "custody_parcel_b_photo": actions.add_parcel_photo(actor=world.assistant, parcel=parcel_b, upload=png()),
        "custody_other_photo": actions.add_parcel_photo(actor=world.outsider, parcel=other_parcel, upload=png()),
    }


def endpoints() -> list[Any]:
    from tests.test_access_matrix import (
        AUTHORIZE,
        CUSTODIANS,
        NOBODY,
        OUTSIDER,
        OWNER,
        SHIFT_NOTE,
        STAFF_MANAGERS,
        constant,
        operation,
        page,
        parcel_code,
    )

    def unit_code(attribute: str, **values: str):
        return lambda world: {"unit_code": getattr(world, attribute).code, **values}

    def token(world: Any) -> dict:
        return {"token": world.pass_a.token}

    def photo(world: Any) -> dict:
        return {"photo": png()}

    def item_code(world: Any) -> dict:
        return {"pickup_code": world.item.pickup_code, "collected_by_name": "张三"}

    def new_pass(world: Any) -> dict:
        now = timezone.localtime()
        return {
            "unit": world.unit_a.pk,
            "visitor_name": "快递小哥",
            "kind": "one_time",
            "valid_from": now.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (now + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        }

    def new_pass_api(world: Any) -> dict:
        now = timezone.now()
        return {
            "unit_id": world.unit_a.pk,
            "visitor_name": "快递小哥",
            "kind": "one_time",
            "valid_from": now.isoformat(),
            "valid_until": (now + datetime.timedelta(hours=3)).isoformat(),
        }

    def instruction(world: Any) -> dict:
        return {"unit": world.unit_a.pk, "name": "周某", "note": "前租客"}

    def instruction_api(world: Any) -> dict:
        return {"unit_id": world.unit_a.pk, "name": "周某", "note": "前租客"}

    new_parcel = unit_code("unit_b", tracking_number="YT-PAGE", recipient_name="李四", shelf="B3")
    scan = unit_code("unit_b", tracking_number="YT-SCAN", shelf="B4", courier="圆通")
    item = unit_code("unit_b", left_by="李母", description="钥匙包", recipient_name="李四", shelf="C2")
    walk_in = unit_code("unit_a", visitor_name="钱某某", purpose="送货")

    def walk_in_api(world: Any) -> dict:
        return {"unit_id": world.unit_a.pk, "visitor_name": "钱某某", "purpose": "送货"}

    new_key = constant({"kind": "facility", "tag": "F-PAGE", "slot": "9", "facility": "配电房"})
    lend = constant({"borrower_name": "王阿姨", "borrower_phone": "13900001111", "due_at": "2099-01-01T10:00"})
    authorize = constant(
        {"borrower_name": "小陈", "borrower_phone": "13700001111", "purpose": "维修", "valid_until": "2099-01-01"}
    )
    lost = constant({"status": "lost", "note": "借用人遗失"})
    settings_body = constant({"unclaimed_days": 5, "handover_ack_minutes": 90})

    rows = [
        # the desk pages
        page("GET", "frontdesk:today", CUSTODIANS, estate_id="estate"),
        page("GET", "frontdesk:today", OUTSIDER, estate_id="other_estate"),
        page("GET", "frontdesk:search", CUSTODIANS, estate_id="estate"),
        page("GET", "frontdesk:search", OUTSIDER, estate_id="other_estate"),
        page("GET", "frontdesk:parcels", CUSTODIANS, estate_id="estate"),
        page("GET", "frontdesk:parcels", OUTSIDER, estate_id="other_estate"),
        page("POST", "frontdesk:parcel_receive", CUSTODIANS, new_parcel, estate_id="estate"),
        page("GET", "frontdesk:parcel_scan", CUSTODIANS, estate_id="estate"),
        page("POST", "frontdesk:parcel_scan", CUSTODIANS, scan, estate_id="estate"),
        page("POST", "frontdesk:item_receive", CUSTODIANS, item, estate_id="estate"),
        page("POST", "frontdesk:parcel_hand_over", CUSTODIANS, parcel_code, parcel_id="parcel"),
        page("POST", "frontdesk:parcel_hand_over", CUSTODIANS, item_code, parcel_id="item"),
        page("GET", "frontdesk:keys", CUSTODIANS, estate_id="estate"),
        page("GET", "frontdesk:keys", OUTSIDER, estate_id="other_estate"),
        page("POST", "frontdesk:key_register", CUSTODIANS, new_key, estate_id="estate"),
        page("GET", "frontdesk:key", CUSTODIANS, key_id="key"),
        page("POST", "frontdesk:key_authorize", CUSTODIANS, authorize, key_id="key"),
        page("POST", "frontdesk:key_lend", CUSTODIANS, lend, key_id="key"),
        page("POST", "frontdesk:key_return", CUSTODIANS, key_id="lent_key"),
        page("POST", "frontdesk:key_mark", CUSTODIANS, lost, key_id="key"),
        page("POST", "frontdesk:authorization_revoke", CUSTODIANS, authorization_id="authorization_a"),
        # photos of keys and parcels: the desk adds them; a parcel's are seen by its unit's people too
        page("POST", "frontdesk:key_add_photo", CUSTODIANS, photo, key_id="key"),
        page("POST", "frontdesk:parcel_add_photo", CUSTODIANS, photo, parcel_id="parcel"),
        page("GET", "frontdesk:custody_photo", CUSTODIANS | OWNER, photo_id="custody_parcel_photo"),
        page("GET", "frontdesk:custody_photo", CUSTODIANS, photo_id="custody_parcel_b_photo"),
        page("GET", "frontdesk:custody_photo", CUSTODIANS, photo_id="custody_key_photo"),
        page("GET", "frontdesk:custody_photo", OUTSIDER, photo_id="custody_other_photo"),
        page("GET", "frontdesk:visitors", CUSTODIANS, estate_id="estate"),
        page("GET", "frontdesk:visitors", OUTSIDER, estate_id="other_estate"),
        page("POST", "frontdesk:visitor_check_in", CUSTODIANS, walk_in, estate_id="estate"),
        page("POST", "frontdesk:visitor_admit", CUSTODIANS, token, estate_id="estate"),
        page("POST", "frontdesk:visitor_check_out", CUSTODIANS, visit_id="visit"),
        page("GET", "frontdesk:visitor_export", CUSTODIANS, estate_id="estate"),
        page("GET", "frontdesk:visitor_export", OUTSIDER, estate_id="other_estate"),
        page("GET", "frontdesk:handovers", CUSTODIANS, estate_id="estate"),
        page("GET", "frontdesk:handovers", OUTSIDER, estate_id="other_estate"),
        page("POST", "frontdesk:handover_write", CUSTODIANS, SHIFT_NOTE, estate_id="estate"),
        page("POST", "frontdesk:handover_acknowledge", CUSTODIANS, handover_id="handover"),
        page("GET", "frontdesk:events", CUSTODIANS, estate_id="estate"),
        page("GET", "frontdesk:events", OUTSIDER, estate_id="other_estate"),
        # the owner portal: only the people of the unit
        page("GET", "frontdesk:my_parcels", OWNER),
        page("GET", "frontdesk:my_keys", OWNER),
        page("POST", "frontdesk:my_authorization_add", OWNER, authorize, key_id="key"),
        page("POST", "frontdesk:my_authorization_add", NOBODY, authorize, key_id="key_b"),
        page("GET", "frontdesk:my_authorization_edit", OWNER, authorization_id="authorization_a"),
        page("GET", "frontdesk:my_authorization_edit", NOBODY, authorization_id="authorization_b"),
        page("POST", "frontdesk:my_authorization_edit", OWNER, authorize, authorization_id="authorization_a"),
        page("POST", "frontdesk:my_authorization_edit", NOBODY, authorize, authorization_id="authorization_b"),
        page("POST", "frontdesk:my_authorization_revoke", OWNER, authorization_id="authorization_a"),
        page("POST", "frontdesk:my_authorization_revoke", NOBODY, authorization_id="authorization_b"),
        page("GET", "frontdesk:my_passes", OWNER),
        page("POST", "frontdesk:my_pass_issue", OWNER, new_pass),
        page("GET", "frontdesk:my_pass", OWNER, pass_id="pass_a"),
        page("GET", "frontdesk:my_pass", NOBODY, pass_id="pass_b"),
        page("POST", "frontdesk:my_pass_revoke", OWNER, pass_id="pass_a"),
        page("POST", "frontdesk:my_pass_revoke", NOBODY, pass_id="pass_b"),
        page("GET", "frontdesk:my_instructions", OWNER),
        page("POST", "frontdesk:my_instruction_add", OWNER, instruction),
        page("POST", "frontdesk:my_instruction_lift", OWNER, instruction_id="instruction_a"),
        page("POST", "frontdesk:my_instruction_lift", NOBODY, instruction_id="instruction_b"),
        # the API added with them
        operation("POST", "/keys/{key_id}/mark", CUSTODIANS, lost, key_id="key"),
        operation("GET", "/keys/{key_id}/authorizations", CUSTODIANS | OWNER, key_id="key"),
        operation("GET", "/keys/{key_id}/authorizations", CUSTODIANS, key_id="key_b"),
        operation("POST", "/my/keys/{key_id}/authorizations", OWNER, AUTHORIZE, key_id="key"),
        operation("POST", "/my/keys/{key_id}/authorizations", NOBODY, AUTHORIZE, key_id="key_b"),
        operation(
            "PUT",
            "/authorizations/{authorization_id}",
            CUSTODIANS | OWNER,
            AUTHORIZE,
            authorization_id="authorization_a",
        ),
        operation(
            "PUT", "/authorizations/{authorization_id}", CUSTODIANS, AUTHORIZE, authorization_id="authorization_b"
        ),
        operation(
            "POST", "/authorizations/{authorization_id}/revoke", CUSTODIANS | OWNER, authorization_id="authorization_a"
        ),
        operation("POST", "/authorizations/{authorization_id}/revoke", CUSTODIANS, authorization_id="authorization_b"),
        operation("GET", "/my/parcels", OWNER),
        operation("POST", "/keys/{key_id}/photos", CUSTODIANS, photo, key_id="key"),
        operation("GET", "/keys/{key_id}/photos", CUSTODIANS, key_id="key"),
        operation("POST", "/parcels/{parcel_id}/photos", CUSTODIANS, photo, parcel_id="parcel"),
        operation("GET", "/parcels/{parcel_id}/photos", CUSTODIANS | OWNER, parcel_id="parcel"),
        operation("GET", "/parcels/{parcel_id}/photos", CUSTODIANS, parcel_id="custody_parcel_b"),
        operation("GET", "/custody-photos/{photo_id}", CUSTODIANS | OWNER, photo_id="custody_parcel_photo"),
        operation("GET", "/custody-photos/{photo_id}", CUSTODIANS, photo_id="custody_parcel_b_photo"),
        operation("GET", "/custody-photos/{photo_id}", CUSTODIANS, photo_id="custody_key_photo"),
        operation("GET", "/custody-photos/{photo_id}", OUTSIDER, photo_id="custody_other_photo"),
        operation("GET", "/estates/{estate_id}/visits", CUSTODIANS, estate_id="estate"),
        operation("GET", "/estates/{estate_id}/visits", OUTSIDER, estate_id="other_estate"),
        operation("POST", "/estates/{estate_id}/visits", CUSTODIANS, walk_in_api, estate_id="estate"),
        operation("POST", "/estates/{estate_id}/visits/admit", CUSTODIANS, token, estate_id="estate"),
        operation("POST", "/visits/{visit_id}/check-out", CUSTODIANS, visit_id="visit"),
        operation("GET", "/my/passes", OWNER),
        operation("POST", "/my/passes", OWNER, new_pass_api),
        operation("POST", "/my/passes/{pass_id}/revoke", OWNER, pass_id="pass_a"),
        operation("POST", "/my/passes/{pass_id}/revoke", NOBODY, pass_id="pass_b"),
        operation("GET", "/my/do-not-admit", OWNER),
        operation("POST", "/my/do-not-admit", OWNER, instruction_api),
        operation("POST", "/my/do-not-admit/{instruction_id}/lift", OWNER, instruction_id="instruction_a"),
        operation("POST", "/my/do-not-admit/{instruction_id}/lift", NOBODY, instruction_id="instruction_b"),
        operation("GET", "/estates/{estate_id}/custody-events", CUSTODIANS, estate_id="estate"),
        operation("GET", "/estates/{estate_id}/custody-events", OUTSIDER, estate_id="other_estate"),
        operation("GET", "/estates/{estate_id}/desk-search", CUSTODIANS, estate_id="estate"),
        operation("GET", "/estates/{estate_id}/desk-search", OUTSIDER, estate_id="other_estate"),
        operation("GET", "/estates/{estate_id}/desk-settings", CUSTODIANS, estate_id="estate"),
        operation("PUT", "/estates/{estate_id}/desk-settings", STAFF_MANAGERS, settings_body, estate_id="estate"),
        operation("PUT", "/estates/{estate_id}/desk-settings", NOBODY, settings_body, estate_id="other_estate"),
    ]
    return rows

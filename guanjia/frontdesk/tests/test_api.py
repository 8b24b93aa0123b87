import datetime

from django.utils import timezone

from guanjia.frontdesk.models import KeyLoan, Parcel


def test_parcel_check_in_and_pickup_code_only_for_the_recipient(client_as, cast):
    desk = client_as("assistant")
    response = desk.post(
        f"/api/v1/estates/{cast.estate.pk}/parcels",
        {
            "unit_id": cast.unit_a.pk,
            "recipient_name": "张三",
            "shelf": "B1",
            "courier": "顺丰",
            "tracking_number": "SF100",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["pickup_code"] is None  # staff are not shown the code
    parcel = Parcel.objects.get()
    owner_view = client_as("owner").get(f"/api/v1/parcels/{parcel.pk}").json()
    assert owner_view["pickup_code"] == parcel.pickup_code
    again = client_as("assistant").post(
        f"/api/v1/estates/{cast.estate.pk}/parcels",
        {"unit_id": cast.unit_b.pk, "recipient_name": "李四", "shelf": "B1", "tracking_number": "sf100"},
        content_type="application/json",
    )
    assert again.status_code == 400 and again.json()["field"] == "tracking_number"
    wrong = client_as("assistant").post(
        f"/api/v1/parcels/{parcel.pk}/handover",
        {"pickup_code": "9999999", "collected_by_name": "张三"},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "pickup_code"
    right = client_as("assistant").post(
        f"/api/v1/parcels/{parcel.pk}/handover",
        {"pickup_code": parcel.pickup_code, "collected_by_name": "张三"},
        content_type="application/json",
    )
    assert right.status_code == 200 and right.json()["status"] == "handed_over"


def test_key_lending_through_the_api(client_as, cast):
    desk = client_as("assistant")
    key = desk.post(
        f"/api/v1/estates/{cast.estate.pk}/keys",
        {"kind": "unit", "tag": "K-9", "slot": "A9", "unit_id": cast.unit_a.pk},
        content_type="application/json",
    ).json()
    due = (timezone.now() + datetime.timedelta(hours=3)).isoformat()
    refused = desk.post(
        f"/api/v1/keys/{key['id']}/lend",
        {"borrower_name": "王阿姨", "borrower_phone": "13900001111", "due_at": due},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["field"] == "borrower_name"
    until = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    client_as("butler").post(
        f"/api/v1/keys/{key['id']}/authorizations",
        {"borrower_name": "王阿姨", "borrower_phone": "13900001111", "purpose": "保洁", "valid_until": until},
        content_type="application/json",
    )
    lent = desk.post(
        f"/api/v1/keys/{key['id']}/lend",
        {"borrower_name": "王阿姨", "borrower_phone": "13900001111", "due_at": due},
        content_type="application/json",
    )
    assert lent.status_code == 201
    assert desk.post(f"/api/v1/keys/{key['id']}/return").status_code == 200
    assert desk.post(f"/api/v1/keys/{key['id']}/return").status_code == 400
    assert KeyLoan.objects.get().returned_at is not None


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_bad_inputs_through_the_api_name_the_field_and_change_nothing(client_as, cast):
    from guanjia.frontdesk import actions
    from guanjia.frontdesk.models import CustodyEvent, Visit, VisitorPass
    from guanjia.frontdesk.tests.test_actions import ledger

    desk = client_as("assistant")
    key = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind="unit", tag="K-API", slot="A1", unit=cast.unit_a
    )
    due = (timezone.now() + datetime.timedelta(hours=3)).isoformat()
    lend = {"borrower_name": "陌生人", "borrower_phone": "13900001111", "due_at": due}
    before = ledger()
    cases = [
        (f"/api/v1/keys/{key.pk}/lend", lend, "borrower_name"),  # not authorized
        (f"/api/v1/keys/{key.pk}/return", {}, "key"),  # not out
        (f"/api/v1/keys/{key.pk}/mark", {"status": "in_store"}, "status"),
    ]
    for url, body, field in cases:
        response = post(desk, url, body)
        assert response.status_code == 400, url
        assert response.json()["field"] == field, url
    assert ledger() == before

    now = timezone.now()
    expired = actions.issue_visitor_pass(
        person=cast.owner_person,
        unit=cast.unit_a,
        visitor_name="刘医生",
        kind="recurring",
        valid_from=now - datetime.timedelta(hours=2),
        valid_until=now + datetime.timedelta(hours=1),
    )
    VisitorPass.objects.filter(pk=expired.pk).update(valid_until=now - datetime.timedelta(minutes=1))
    for token in (expired.token, "not-a-token"):
        response = post(desk, f"/api/v1/estates/{cast.estate.pk}/visits/admit", {"token": token})
        assert response.status_code == 400 and response.json()["field"] == "token"
    foreign = post(
        client_as("outsider"), f"/api/v1/estates/{cast.other_estate.pk}/visits/admit", {"token": expired.token}
    )
    assert foreign.status_code == 400 and foreign.json()["field"] == "token"
    assert not Visit.objects.exists() and VisitorPass.objects.get().used_at is None
    assert CustodyEvent.objects.count() == 1  # the key's registration only


def test_owner_portal_api_passes_instructions_authorizations(client_as, cast):
    from guanjia.frontdesk import actions
    from guanjia.frontdesk.models import DoNotAdmit, KeyAuthorization

    owner = client_as("owner")
    now = timezone.now()
    issued = post(
        owner,
        "/api/v1/my/passes",
        {
            "unit_id": cast.unit_a.pk,
            "visitor_name": "刘医生",
            "kind": "one_time",
            "valid_from": now.isoformat(),
            "valid_until": (now - datetime.timedelta(hours=1)).isoformat(),
        },
    )
    assert issued.status_code == 400 and issued.json()["field"] == "valid_until"
    foreign = post(
        owner,
        "/api/v1/my/passes",
        {
            "unit_id": cast.unit_b.pk,
            "visitor_name": "刘医生",
            "kind": "one_time",
            "valid_from": now.isoformat(),
            "valid_until": (now + datetime.timedelta(hours=1)).isoformat(),
        },
    )
    assert foreign.status_code == 404
    added = post(owner, "/api/v1/my/do-not-admit", {"unit_id": cast.unit_a.pk, "name": "赵某"})
    assert added.status_code == 201
    twice = post(owner, "/api/v1/my/do-not-admit", {"unit_id": cast.unit_a.pk, "name": "赵某"})
    assert twice.status_code == 400 and twice.json()["field"] == "name"
    assert DoNotAdmit.objects.count() == 1
    walk_in = post(
        client_as("assistant"),
        f"/api/v1/estates/{cast.estate.pk}/visits",
        {"unit_id": cast.unit_a.pk, "visitor_name": "赵某"},
    )
    assert walk_in.status_code == 400 and walk_in.json()["field"] == "visitor_name"
    owner = client_as("owner")  # the test client is one: sign the owner back in

    key = actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind="unit", tag="K-OWN", slot="A2", unit=cast.unit_a
    )
    until = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    body = {"borrower_name": "小陈", "borrower_phone": "13700001111", "purpose": "修空调", "valid_until": until}
    created = post(owner, f"/api/v1/my/keys/{key.pk}/authorizations", body)
    assert created.status_code == 201 and created.json()["borrower_phone"] == "137****1111"
    authorization = KeyAuthorization.objects.get()
    assert authorization.granted_by == cast.owner_person
    changed = owner.put(
        f"/api/v1/authorizations/{authorization.pk}", {**body, "purpose": "修热水器"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["purpose"] == "修热水器"
    assert post(owner, f"/api/v1/authorizations/{authorization.pk}/revoke", {}).status_code == 200
    again = post(owner, f"/api/v1/authorizations/{authorization.pk}/revoke", {})
    assert again.status_code == 400 and again.json()["field"] == "authorization"
    assert owner.get(f"/api/v1/keys/{key.pk}/authorizations").json() == []


def test_desk_search_events_and_settings_through_the_api(client_as, cast):
    from guanjia.frontdesk import actions

    actions.receive_parcel(
        actor=cast.assistant, unit=cast.unit_a, recipient_name="张三", shelf="B1", tracking_number="SF-S"
    )
    desk = client_as("assistant")
    hits = desk.get(f"/api/v1/estates/{cast.estate.pk}/desk-search?q=zs").json()
    assert hits[0]["unit_code"] == "1-1-1201" and hits[0]["parcels_waiting"] == 1 and hits[0]["people"] == ["张三"]
    events = desk.get(f"/api/v1/estates/{cast.estate.pk}/custody-events?unit_id={cast.unit_b.pk}").json()
    assert events == []
    events = desk.get(f"/api/v1/estates/{cast.estate.pk}/custody-events?kind=parcel").json()
    assert [event["action"] for event in events] == ["parcel_received"]
    assert desk.get(f"/api/v1/estates/{cast.estate.pk}/desk-settings").json() == {
        "unclaimed_days": 3,
        "handover_ack_minutes": 60,
    }
    manager = client_as("manager")
    bad = manager.put(
        f"/api/v1/estates/{cast.estate.pk}/desk-settings",
        {"unclaimed_days": 0, "handover_ack_minutes": 60},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "unclaimed_days"
    good = manager.put(
        f"/api/v1/estates/{cast.estate.pk}/desk-settings",
        {"unclaimed_days": 5, "handover_ack_minutes": 90},
        content_type="application/json",
    )
    assert good.json() == {"unclaimed_days": 5, "handover_ack_minutes": 90}


def check_in(client, estate_id, unit_id, number):
    return client.post(
        f"/api/v1/estates/{estate_id}/parcels",
        {"unit_id": unit_id, "recipient_name": "张三", "shelf": "B1", "courier": "顺丰", "tracking_number": number},
        content_type="application/json",
    )


def test_the_people_of_the_unit_who_sign_in_are_told_the_pickup_code_once(client_as, cast):
    from guanjia.estates.tests.factories import UnitFactory
    from guanjia.notifications.models import Notification

    desk = client_as("assistant")
    assert check_in(desk, cast.estate.pk, cast.unit_a.pk, "SF201").status_code == 201
    parcel = Parcel.objects.get(tracking_number="SF201")
    told = Notification.objects.get()
    assert told.recipient == cast.owner and parcel.pickup_code in told.subject
    assert told.dedupe_key == f"parcel:{parcel.pk}:received"
    # A unit whose residents do not sign in, and an empty one: the parcel, no notice.
    empty = UnitFactory(building=cast.unit_a.building, entrance="1", number="0101", floor=1)
    for unit, number in ((cast.unit_b, "SF202"), (empty, "SF203")):
        response = check_in(desk, cast.estate.pk, unit.pk, number)
        assert response.status_code == 201 and response.json()["unit_code"] == unit.code
    assert Parcel.objects.count() == 3 and Notification.objects.count() == 1


def test_a_unit_of_another_estate_or_none_at_all_is_refused_and_nothing_is_written(client_as, cast, unchanged):
    desk = client_as("assistant")
    with unchanged():
        for unit_id in (cast.other_unit.pk, 10**9):
            response = check_in(desk, cast.estate.pk, unit_id, "SF300")
            assert response.status_code == 400 and response.json()["field"] == "unit_id"
            assert "没有这个房屋" in response.json()["detail"]

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

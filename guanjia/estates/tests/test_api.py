from guanjia.estates.models import Unit
from guanjia.people.models import Person


def test_create_unit_through_the_api(client_as, cast):
    client = client_as("manager")
    body = {
        "building_id": cast.unit_a.building_id,
        "entrance": "2",
        "number": "0301",
        "floor": 3,
        "area": "76.40",
        "house_type": "high_rise",
        "status": "vacant",
        "zone_id": cast.zone_a.pk,
    }
    response = client.post(f"/api/v1/estates/{cast.estate.pk}/units", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "1-2-0301"
    assert Unit.objects.get(code="1-2-0301").area.as_tuple().exponent == -2


def test_negative_area_is_a_400_naming_the_field(client_as, cast):
    client = client_as("manager")
    before = Unit.objects.count()
    body = {
        "building_id": cast.unit_a.building_id,
        "number": "0302",
        "floor": 3,
        "area": "-5",
        "house_type": "high_rise",
    }
    response = client.post(f"/api/v1/estates/{cast.estate.pk}/units", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "area"
    assert "建筑面积" in response.json()["detail"]
    assert Unit.objects.count() == before


def test_unit_of_another_estate_building_is_404(client_as, cast):
    client = client_as("manager")
    body = {
        "building_id": cast.other_unit.building_id,
        "number": "0303",
        "floor": 3,
        "area": "80",
        "house_type": "villa",
    }
    response = client.post(f"/api/v1/estates/{cast.estate.pk}/units", body, content_type="application/json")
    assert response.status_code == 404
    assert not Unit.objects.filter(number="0303").exists()


def test_person_api_masks_and_validates(client_as, cast):
    client = client_as("butler")
    response = client.get(f"/api/v1/people/{cast.owner_person.pk}")
    assert response.json()["phone"] == "138****1234"
    assert response.json()["units"][0]["unit_code"] == cast.unit_a.code
    bad = client.patch(
        f"/api/v1/people/{cast.owner_person.pk}", {"id_number": "110105194912310021"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["field"] == "id_number"
    assert Person.objects.get(pk=cast.owner_person.pk).id_number_masked == cast.owner_person.id_number_masked


def test_search_api(client_as, cast):
    response = client_as("assistant").get(f"/api/v1/estates/{cast.estate.pk}/search", {"q": "1234"})
    data = response.json()
    assert data["how"] == "phone"
    assert [p["name"] for p in data["people"]] == ["张三"]
    assert "13812341234" not in response.content.decode()


def test_postings_and_zone_butler(client_as, cast):
    client = client_as("manager")
    listing = client.get(f"/api/v1/estates/{cast.estate.pk}/postings").json()
    assert {"manager", "butler", "assistant"} <= {row["post"] for row in listing}
    response = client.put(
        f"/api/v1/zones/{cast.zone_b.pk}/butler", {"butler_id": cast.assistant.pk}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "butler"
    response = client.put(
        f"/api/v1/zones/{cast.zone_b.pk}/butler", {"butler_id": cast.butler.pk}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["butler_id"] == cast.butler.pk

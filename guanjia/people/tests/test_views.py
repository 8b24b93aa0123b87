from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanjia.core.models import Change
from guanjia.people.models import Attachment, Person, Vehicle

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def person_form(person, **overrides):
    data = {
        "name": person.name,
        "phone": person.phone,
        "email": "",
        "id_type": person.id_type,
        "id_number": "",
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "special_needs": "",
        "preferences": "",
        "note": "",
    }
    data.update(overrides)
    return data


def test_butler_edits_an_owner_of_their_zone(client_as, cast):
    client = client_as("butler")
    url = reverse("people:person_edit", args=[cast.owner_person.pk])
    response = client.post(url, person_form(cast.owner_person, special_needs="独居老人，每周探访"))
    assert response.status_code == 302
    cast.owner_person.refresh_from_db()
    assert cast.owner_person.special_needs == "独居老人，每周探访"
    assert Change.objects.filter(object_id=cast.owner_person.pk, verb="update").exists()


def test_bad_phone_on_the_form_names_the_field_and_saves_nothing(client_as, cast):
    client = client_as("butler")
    url = reverse("people:person_edit", args=[cast.owner_person.pk])
    response = client.post(url, person_form(cast.owner_person, phone="12345", note="changed"))
    assert response.status_code == 200
    assert "请输入有效的电话号码" in response.content.decode()
    assert response.context["form"].errors["phone"]
    cast.owner_person.refresh_from_db()
    assert cast.owner_person.note == "" and cast.owner_person.phone == "13812341234"


def test_bad_id_checksum_on_the_form(client_as, cast):
    client = client_as("manager")
    url = reverse("people:person_edit", args=[cast.owner_person.pk])
    response = client.post(url, person_form(cast.owner_person, id_number="110105194912310021"))
    assert response.context["form"].errors["id_number"]
    assert "校验位" in response.content.decode()


def test_attachment_accepts_a_png_and_refuses_a_renamed_exe(client_as, cast):
    client = client_as("butler")
    url = reverse("people:upload_attachment", args=[cast.owner_person.pk])
    ok = client.post(url, {"title": "购房合同", "file": SimpleUploadedFile("contract.png", PNG)})
    assert ok.status_code == 302
    bad = client.post(url, {"title": "病毒", "file": SimpleUploadedFile("photo.png", b"MZ\x90\x00" + b"\x00" * 64)})
    assert bad.status_code == 400
    assert "只能上传" in bad.content.decode()
    assert list(Attachment.objects.values_list("title", flat=True)) == ["购房合同"]
    download = client.get(reverse("people:attachment", args=[Attachment.objects.get().pk]))
    assert download.status_code == 200


def test_vehicle_and_unit_link_from_the_person_page(client_as, cast):
    client = client_as("head_butler")
    person = Person.objects.get(pk=cast.neighbour.pk)
    assert client.post(reverse("people:add_vehicle", args=[person.pk]), {"plate": "沪A12345"}).status_code == 302
    assert Vehicle.objects.get(person=person).plate == "沪A12345"
    response = client.post(
        reverse("people:link_unit", args=[person.pk]), {"unit_code": "9-9-9999", "relation": "tenant"}
    )
    assert response.status_code == 400
    assert "没有该编号的房屋" in response.content.decode()
    response = client.post(
        reverse("people:link_unit", args=[person.pk]), {"unit_code": cast.unit_a.code, "relation": "tenant"}
    )
    assert response.status_code == 302
    assert person.residencies.filter(unit=cast.unit_a, relation="tenant").exists()


def test_history_page_shows_who_changed_what(client_as, cast):
    client = client_as("butler")
    client.post(
        reverse("people:person_edit", args=[cast.owner_person.pk]), person_form(cast.owner_person, note="喜欢安静")
    )
    page = client.get(reverse("people:person_history", args=[cast.owner_person.pk])).content.decode()
    assert "喜欢安静" in page and "周管家" in page


def test_frontdesk_search_as_fragment_for_htmx(client_as, cast):
    client = client_as("assistant")
    response = client.get(reverse("people:frontdesk", args=[cast.estate.pk]), {"q": "zs"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "张三" in body and "138****1234" in body
    assert "<html" not in body  # only the results fragment

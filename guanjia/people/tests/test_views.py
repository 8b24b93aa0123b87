import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from guanjia.core.models import Change
from guanjia.people.models import Attachment, Person, Vehicle
from guanjia.servicedesk.tests.factories import image_bytes

PNG = image_bytes("PNG")  # a real image: a scanned image is decoded and written again


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


# Scanned documents: stored by their content (issue 11, item 8) -------------------------------


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload_document(client, cast, name, content):
    url = reverse("people:upload_attachment", args=[cast.owner_person.pk])
    return client.post(url, {"title": "身份证复印件", "file": SimpleUploadedFile(name, content)})


def test_a_document_is_stored_under_a_generated_name_with_the_extension_of_its_content(client_as, cast):
    client = client_as("butler")
    assert upload_document(client, cast, "合同.PDF", PDF).status_code == 302
    assert upload_document(client, cast, "scan", PNG).status_code == 302  # a phone's upload with no extension
    stored = sorted(Attachment.objects.values_list("file", "content_type"), key=lambda row: row[1])
    assert [(name.rsplit(".", 1)[-1], kind) for name, kind in stored] == [
        ("pdf", "application/pdf"),
        ("png", "image/png"),
    ]
    assert not any("合同" in name or "scan" in name for name, _kind in stored)


@pytest.mark.parametrize(("name", "content"), [("contract.pdf", PNG), ("id.html", PDF), ("photo.svg", PNG)])
def test_a_name_that_says_another_type_than_the_content_is_refused(client_as, cast, name, content):
    response = upload_document(client_as("butler"), cast, name, content)
    assert response.status_code == 400 and response.context["form"].errors["file"]
    assert not Attachment.objects.exists()


def test_an_id_copy_photographed_with_a_phone_is_stored_without_its_gps_position(client_as, cast):
    from guanjia.frontdesk.tests.test_photos import jpeg_with_gps

    assert upload_document(client_as("butler"), cast, "id.jpg", jpeg_with_gps()).status_code == 302
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as stored_file:
        stored = stored_file.read()
    assert attachment.file.name.endswith(".jpg") and attachment.size == len(stored)
    assert dict(Image.open(io.BytesIO(stored)).getexif()) == {} and b"PhoneMaker" not in stored


def test_a_decompression_bomb_is_refused_as_a_document_naming_the_field(client_as, cast):
    buffer = io.BytesIO()
    Image.new("1", (10000, 10000)).save(buffer, "PNG")
    response = upload_document(client_as("butler"), cast, "scan.png", buffer.getvalue())
    assert response.status_code == 400 and "10000×10000" in str(response.context["form"].errors["file"])
    assert not Attachment.objects.exists()

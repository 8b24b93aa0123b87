"""Photos of keys and parcels at the front desk: images only (by content), at most the size
limit and three per key or parcel; a refused photo leaves nothing behind, and only the desk
and the people of the parcel's unit see a parcel's photos."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from guanjia.accounts.tests.factories import UserFactory
from guanjia.core.errors import DomainError
from guanjia.core.photos import THUMBNAIL_SUFFIX, thumbnail_name
from guanjia.frontdesk import actions
from guanjia.frontdesk.models import CustodyPhoto, Key, Parcel
from guanjia.servicedesk.tests.factories import image_bytes

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def media_files() -> list[str]:
    """The stored images; each has its thumbnail beside it, and no thumbnail is left alone."""
    root = Path(settings.MEDIA_ROOT)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    images = [name for name in files if not name.endswith(THUMBNAIL_SUFFIX)]
    assert sorted(set(files) - set(images)) == sorted(thumbnail_name(name) for name in images)
    return images


def png(name: str = "parcel.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG"), content_type="image/png")


def renamed_exe() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, content_type="image/jpeg")


def key_of(cast, tag: str = "K-1") -> Key:
    return actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag=tag, slot="A1", unit=cast.unit_a
    )


def parcel_of(cast, unit=None, number: str = "SF-1") -> Parcel:
    return actions.receive_parcel(
        actor=cast.assistant, unit=unit or cast.unit_a, recipient_name="张三", shelf="B2", tracking_number=number
    )


def refused(unchanged, write) -> DomainError:
    """The refusal of `write`, having checked that it left every row and file as it was."""
    with unchanged(), pytest.raises(DomainError) as error:
        write()
    return error.value


# The actions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_a_photo_is_kept_under_the_estate_with_a_name_of_our_own(cast, image_format, content_type, extension):
    parcel = parcel_of(cast)
    upload = SimpleUploadedFile("../../etc/passwd.pdf", image_bytes(image_format))
    photo = actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=upload)
    assert (photo.parcel, photo.key, photo.estate) == (parcel, None, cast.estate)
    assert photo.content_type == content_type
    assert photo.file.name.startswith(f"custody/{cast.estate.pk}/") and photo.file.name.endswith(f".{extension}")
    assert photo.original_name == "passwd.pdf"
    assert photo.uploaded_by == cast.assistant
    assert media_files() == [photo.file.name]


def test_a_key_is_registered_with_its_photo_or_not_at_all(cast, unchanged):
    key = actions.register_key(
        actor=cast.assistant,
        estate=cast.estate,
        kind=Key.Kind.FACILITY,
        tag="F-1",
        slot="9",
        facility="配电房",
        photo=png("key.png"),
    )
    assert [photo.file.name for photo in key.photos.all()] == media_files()
    assert len(media_files()) == 1
    error = refused(
        unchanged,
        lambda: actions.register_key(
            actor=cast.assistant,
            estate=cast.estate,
            kind=Key.Kind.FACILITY,
            tag="F-2",
            slot="9",
            facility="水泵房",
            photo=renamed_exe(),
        ),
    )
    assert error.field == "photo"
    assert not Key.objects.filter(tag="F-2").exists()


def test_a_renamed_exe_is_refused_naming_the_photo_field(cast, unchanged):
    key, parcel = key_of(cast), parcel_of(cast)
    for write in (
        lambda: actions.add_key_photo(actor=cast.assistant, key=key, upload=renamed_exe()),
        lambda: actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=renamed_exe()),
    ):
        error = refused(unchanged, write)
        assert error.field == "photo"
        assert error.message == "只能上传照片：JPEG、PNG 或 WebP 格式的图片。"
    assert media_files() == []


def test_a_30_mb_photo_is_refused_with_its_size_named(cast, unchanged):
    parcel = parcel_of(cast)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * (30 * MB))
    error = refused(unchanged, lambda: actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=big))
    assert error.field == "photo"
    assert "10" in error.message and "30.0" in error.message


def test_at_most_three_photos_a_key_or_a_parcel(cast, unchanged):
    key, parcel = key_of(cast), parcel_of(cast)
    for _number in range(actions.MAX_PHOTOS_PER_ITEM):
        actions.add_key_photo(actor=cast.assistant, key=key, upload=png())
        actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=png())
    for write in (
        lambda: actions.add_key_photo(actor=cast.assistant, key=key, upload=png()),
        lambda: actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=png()),
    ):
        error = refused(unchanged, write)
        assert error.field == "photo" and "3" in error.message
    # The limit is per key or parcel: another one still takes photos.
    actions.add_parcel_photo(actor=cast.assistant, parcel=parcel_of(cast, number="SF-2"), upload=png())
    assert CustodyPhoto.objects.count() == 7 == len(media_files())


def test_no_photos_of_a_parcel_once_it_is_handed_over(cast, unchanged):
    parcel = parcel_of(cast)
    actions.hand_over_parcel(
        actor=cast.assistant, parcel=parcel, pickup_code=parcel.pickup_code, collected_by_name="张三"
    )
    error = refused(unchanged, lambda: actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=png()))
    assert error.field == "photo"


def test_the_file_is_removed_again_when_its_row_cannot_be_written(cast, monkeypatch):
    parcel = parcel_of(cast)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("guanjia.core.photos.record_change", broken)  # after the file is written
    with pytest.raises(RuntimeError):
        actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=png())
    assert CustodyPhoto.objects.count() == 0
    assert media_files() == []


def test_a_photo_is_of_a_key_or_of_a_parcel_never_both(cast):
    from django.db import IntegrityError, transaction

    key, parcel = key_of(cast), parcel_of(cast)
    for values in ({"key": key, "parcel": parcel}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            CustodyPhoto.objects.create(
                estate=cast.estate,
                file="x.png",
                content_type="image/png",
                size=1,
                uploaded_by=cast.assistant,
                uploaded_at=parcel.received_at,
                **values,
            )


# The pages ---------------------------------------------------------------------------------


def check_in_form(cast, photo, number: str = "SF-PAGE") -> dict:
    return {
        "tracking_number": number,
        "courier": "顺丰",
        "unit_code": cast.unit_a.code,
        "recipient_name": "张三",
        "shelf": "B7",
        "photo": photo,
    }


def test_a_parcel_is_checked_in_with_its_photo_on_the_page(client_as, cast):
    desk = client_as("assistant")
    response = desk.post(reverse("frontdesk:parcel_receive", args=[cast.estate.pk]), check_in_form(cast, png()))
    assert response.status_code == 302
    parcel = Parcel.objects.get(tracking_number="SF-PAGE")
    photo = parcel.photos.get()
    assert media_files() == [photo.file.name]
    listed = desk.get(reverse("frontdesk:parcels", args=[cast.estate.pk])).content.decode()
    assert reverse("frontdesk:custody_photo", args=[photo.pk]) in listed
    served = desk.get(reverse("frontdesk:custody_photo", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    # Written again without its metadata: the same pixels, not the same bytes.
    shown = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    sent = Image.open(io.BytesIO(image_bytes("PNG")))
    assert (shown.format, shown.tobytes()) == ("PNG", sent.convert("RGB").tobytes())


def test_an_item_left_for_someone_is_checked_in_with_its_photo_or_not_at_all(client_as, cast, unchanged):
    desk = client_as("assistant")
    url = reverse("frontdesk:item_receive", args=[cast.estate.pk])
    form = {
        "left_by": "李阿姨",
        "description": "一袋橘子",
        "unit_code": cast.unit_a.code,
        "recipient_name": "张三",
        "shelf": "D1",
    }
    with unchanged():
        response = desk.post(url, {**form, "photo": renamed_exe()})
        assert response.status_code == 400 and response.context["item_form"].errors["photo"]
    assert desk.post(url, {**form, "photo": png("oranges.png")}).status_code == 302
    item = Parcel.objects.get(kind=Parcel.Kind.ITEM)
    assert item.description == "一袋橘子" and media_files() == [item.photos.get().file.name]


def test_a_page_check_in_with_a_bad_photo_leaves_no_parcel(client_as, cast, unchanged):
    desk = client_as("assistant")
    for photo in (renamed_exe(), SimpleUploadedFile("big.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * (30 * MB))):
        with unchanged():
            response = desk.post(reverse("frontdesk:parcel_receive", args=[cast.estate.pk]), check_in_form(cast, photo))
            assert response.status_code == 400
            assert response.context["parcel_form"].errors["photo"]
    assert not Parcel.objects.exists()


def test_a_page_check_in_whose_photo_fails_after_the_parcel_leaves_no_parcel(client_as, cast, unchanged, monkeypatch):
    """The photo passes the check, then its write is refused: the parcel goes too."""

    def refuse(**kwargs):
        raise DomainError("照片存不下", field="photo")

    monkeypatch.setattr("guanjia.frontdesk.actions.photos.store_custody_photo", refuse)
    desk = client_as("assistant")
    with unchanged():
        response = desk.post(reverse("frontdesk:parcel_receive", args=[cast.estate.pk]), check_in_form(cast, png()))
        assert response.status_code == 400


def test_a_key_is_registered_with_its_photo_on_the_page(client_as, cast, unchanged):
    desk = client_as("assistant")
    form = {"kind": "unit", "tag": "K-PAGE", "slot": "A3", "unit_code": cast.unit_a.code, "photo": png("key.png")}
    response = desk.post(reverse("frontdesk:key_register", args=[cast.estate.pk]), form)
    assert response.status_code == 302
    key = Key.objects.get(tag="K-PAGE")
    photo = key.photos.get()
    page = desk.get(reverse("frontdesk:key", args=[key.pk])).content.decode()
    assert reverse("frontdesk:custody_photo", args=[photo.pk]) in page

    with unchanged():
        form = {**form, "tag": "K-EXE", "photo": renamed_exe()}
        response = desk.post(reverse("frontdesk:key_register", args=[cast.estate.pk]), form)
        assert response.status_code == 400
        assert response.context["form"].errors["photo"]


def test_photos_are_added_on_the_key_page_and_to_a_waiting_parcel(client_as, cast, unchanged):
    key, parcel = key_of(cast), parcel_of(cast)
    desk = client_as("assistant")
    assert desk.post(reverse("frontdesk:key_add_photo", args=[key.pk]), {"photo": png()}).status_code == 302
    assert desk.post(reverse("frontdesk:parcel_add_photo", args=[parcel.pk]), {"photo": png()}).status_code == 302
    assert key.photos.count() == parcel.photos.count() == 1

    with unchanged():
        response = desk.post(reverse("frontdesk:key_add_photo", args=[key.pk]), {"photo": renamed_exe()})
        assert response.status_code == 400 and response.context["photo_form"].errors["photo"]
    actions.hand_over_parcel(
        actor=cast.assistant, parcel=parcel, pickup_code=parcel.pickup_code, collected_by_name="张三"
    )
    with unchanged():
        response = desk.post(reverse("frontdesk:parcel_add_photo", args=[parcel.pk]), {"photo": png()})
        assert response.status_code == 400 and response.context["photo_form"].errors["photo"]


# Who sees the photos -----------------------------------------------------------------------------


def test_the_people_of_the_unit_see_their_parcels_photo_and_nobody_else(client, cast):
    parcel = parcel_of(cast)
    photo = actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=png())
    key_photo = actions.add_key_photo(actor=cast.assistant, key=key_of(cast), upload=png())
    page_url = reverse("frontdesk:custody_photo", args=[photo.pk])
    api_url = f"/api/v1/custody-photos/{photo.pk}"

    client.force_login(cast.owner)
    assert page_url in client.get(reverse("frontdesk:my_parcels")).content.decode()
    assert client.get(page_url).status_code == 200
    assert client.get(api_url).status_code == 200
    listed = client.get(f"/api/v1/parcels/{parcel.pk}/photos").json()
    assert [row["url"] for row in listed] == [api_url]
    # A key's photos stay with the desk, even for the owner of the unit it opens.
    assert client.get(reverse("frontdesk:custody_photo", args=[key_photo.pk])).status_code == 404

    neighbour = UserFactory(username="neighbour", display_name="李四", person=cast.neighbour)
    for outsider in (neighbour, cast.outsider, cast.finance):
        client.force_login(outsider)
        assert client.get(page_url).status_code == 404
        assert client.get(api_url).status_code == 404
        assert client.get(f"/api/v1/parcels/{parcel.pk}/photos").status_code == 404
        assert client.get("/api/v1/custody-photos/987654").status_code == 404
    assert photo.file.name in media_files()


# The API -----------------------------------------------------------------------------------------


def test_a_parcel_checked_in_through_the_api_gets_its_photos(client_as, cast, unchanged):
    desk = client_as("assistant")
    created = desk.post(
        f"/api/v1/estates/{cast.estate.pk}/parcels",
        {"unit_id": cast.unit_a.pk, "recipient_name": "张三", "shelf": "B1", "tracking_number": "SF-API"},
        content_type="application/json",
    )
    assert created.status_code == 201
    parcel_id = created.json()["id"]
    for _number in range(actions.MAX_PHOTOS_PER_ITEM):
        response = desk.post(f"/api/v1/parcels/{parcel_id}/photos", {"photo": png()})
        assert response.status_code == 201, response.content
    shown = response.json()
    assert shown["parcel_id"] == parcel_id and shown["key_id"] is None
    assert shown["content_type"] == "image/png" and shown["name"] == "parcel.png"
    assert desk.get(shown["url"]).status_code == 200

    with unchanged():
        fourth = desk.post(f"/api/v1/parcels/{parcel_id}/photos", {"photo": png()})
        assert fourth.status_code == 400 and fourth.json()["field"] == "photo"
        exe = desk.post(f"/api/v1/parcels/{parcel_id}/photos", {"photo": renamed_exe()})
        assert exe.status_code == 400 and exe.json()["field"] == "photo"
    assert len(desk.get(f"/api/v1/parcels/{parcel_id}/photos").json()) == 3


def test_a_key_registered_through_the_api_gets_its_photo(client_as, cast, unchanged):
    desk = client_as("assistant")
    created = desk.post(
        f"/api/v1/estates/{cast.estate.pk}/keys",
        {"kind": "unit", "tag": "K-API", "slot": "A9", "unit_id": cast.unit_a.pk},
        content_type="application/json",
    )
    key_id = created.json()["id"]
    response = desk.post(f"/api/v1/keys/{key_id}/photos", {"photo": png("key.png")})
    assert response.status_code == 201
    assert [row["id"] for row in desk.get(f"/api/v1/keys/{key_id}/photos").json()] == [response.json()["id"]]

    # The owner of the unit and another estate's butler cannot add one.
    for role in ("owner", "outsider"):
        with unchanged():
            answer = client_as(role).post(f"/api/v1/keys/{key_id}/photos", {"photo": png()})
            assert answer.status_code == 404


# Pixels, metadata and thumbnails (issue 11, item 8) -------------------------------------------


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG as a phone takes it: EXIF with the GPS position and the camera."""
    from PIL import ExifTags

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 5.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 9.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, "JPEG", exif=exif)
    content = buffer.getvalue()
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the position is there
    return content


def test_a_photo_is_stored_without_its_gps_position_or_any_exif(cast):
    parcel = parcel_of(cast)
    upload = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps())
    photo = actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=upload)
    with photo.file.open("rb") as stored_file:
        stored = stored_file.read()
    image = Image.open(io.BytesIO(stored))
    assert (image.format, image.size) == ("JPEG", (64, 48))
    assert dict(image.getexif()) == {} and b"Exif" not in stored and b"PhoneMaker" not in stored
    assert photo.size == len(stored) and not photo.file.name.endswith("IMG_0001.jpg")


def test_ten_thousand_pixels_square_is_refused_naming_the_field(cast, unchanged):
    buffer = io.BytesIO()
    Image.new("1", (10000, 10000)).save(buffer, "PNG")  # 100 megapixels in a few kilobytes
    parcel = parcel_of(cast)
    error = refused(
        unchanged,
        lambda: actions.add_parcel_photo(
            actor=cast.assistant, parcel=parcel, upload=SimpleUploadedFile("big.png", buffer.getvalue())
        ),
    )
    assert error.field == "photo" and "10000×10000" in error.message and "40" in error.message


def test_the_pixel_limit_is_a_setting(cast, settings, unchanged):
    settings.GUANJIA_PHOTO_MAX_PIXELS = 1000
    parcel = parcel_of(cast)
    upload = SimpleUploadedFile("p.png", image_bytes("PNG", size=(40, 30)))
    error = refused(unchanged, lambda: actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=upload))
    assert error.field == "photo" and "40×30" in error.message


def test_pages_show_the_thumbnail_and_link_the_full_photo_through_the_checked_view(client_as, cast):
    parcel = parcel_of(cast)
    upload = SimpleUploadedFile("big.png", image_bytes("PNG", size=(1600, 1200)))
    photo = actions.add_parcel_photo(actor=cast.assistant, parcel=parcel, upload=upload)
    desk = client_as("assistant")
    url = reverse("frontdesk:custody_photo", args=[photo.pk])
    listed = desk.get(reverse("frontdesk:parcels", args=[cast.estate.pk])).content.decode()
    assert f'href="{url}"' in listed and f'src="{url}?size=thumb"' in listed
    thumbnail = desk.get(url, {"size": "thumb"})
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))).size == (480, 360)
    full = desk.get(url)
    assert Image.open(io.BytesIO(b"".join(full.streaming_content))).size == (1600, 1200)
    # The thumbnail is behind the same access check as the photo.
    assert client_as("outsider").get(url, {"size": "thumb"}).status_code == 404

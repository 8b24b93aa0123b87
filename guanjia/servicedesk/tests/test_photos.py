"""Request photos: images only, by content; at most the size limit; nothing saved when refused."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from guanjia.core.errors import DomainError
from guanjia.core.models import Change
from guanjia.core.photos import THUMBNAIL_SUFFIX, thumbnail_name
from guanjia.servicedesk import actions
from guanjia.servicedesk.models import RequestPhoto
from guanjia.servicedesk.tests.factories import image_bytes, photo_upload, receive, walk

MB = 1024 * 1024


def media_files() -> list[str]:
    """The stored images; each has its thumbnail beside it, and no thumbnail is left alone."""
    root = Path(settings.MEDIA_ROOT)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    images = [name for name in files if not name.endswith(THUMBNAIL_SUFFIX)]
    assert sorted(set(files) - set(images)) == sorted(thumbnail_name(name) for name in images)
    return images


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_jpeg_png_and_webp_are_kept_under_a_name_of_our_own(cast, image_format, content_type, extension):
    service_request = receive(cast)
    # The name claims a PDF: the content decides.
    upload = SimpleUploadedFile("../../etc/passwd.pdf", image_bytes(image_format))
    photo = actions.add_request_photo(actor=cast.assistant, service_request=service_request, upload=upload)
    assert photo.content_type == content_type
    assert photo.file.name.startswith(f"requests/{cast.estate.pk}/")
    assert photo.file.name.endswith(f".{extension}")
    assert photo.original_name == "passwd.pdf"
    assert photo.uploaded_by == cast.assistant
    assert media_files() == [photo.file.name]
    assert Change.objects.filter(object_id=service_request.pk, verb="add_photo").count() == 1


def refused(cast, service_request, upload, *, actor=None) -> str:
    before = (RequestPhoto.objects.count(), Change.objects.count(), media_files())
    with pytest.raises(DomainError) as error:
        actions.add_request_photo(actor=actor or cast.assistant, service_request=service_request, upload=upload)
    assert (RequestPhoto.objects.count(), Change.objects.count(), media_files()) == before
    return str(error.value.message)


def test_a_renamed_exe_is_refused_with_nothing_saved(cast):
    service_request = receive(cast)
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
    message = refused(cast, service_request, exe)
    assert message == "只能上传照片：JPEG、PNG 或 WebP 格式的图片。"


def test_a_file_that_only_starts_like_an_image_is_refused(cast):
    service_request = receive(cast)
    fake = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"MZ" + b"\x00" * 500)
    with pytest.raises(DomainError) as error:
        actions.add_request_photo(actor=cast.assistant, service_request=service_request, upload=fake)
    assert error.value.field == "photo"
    assert RequestPhoto.objects.count() == 0 and media_files() == []


def test_a_30_mb_photo_is_refused_with_its_size_named(cast):
    service_request = receive(cast)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * (30 * MB))
    message = refused(cast, service_request, big)
    assert "10" in message and "30.0" in message


def test_an_empty_upload_is_refused(cast):
    service_request = receive(cast)
    assert refused(cast, service_request, SimpleUploadedFile("empty.png", b""))
    assert refused(cast, service_request, None)


def test_the_owner_adds_photos_to_their_own_request_and_strangers_cannot(cast):
    service_request = receive(cast)
    photo = actions.add_request_photo(actor=cast.owner, service_request=service_request, upload=photo_upload())
    assert photo.uploaded_by == cast.owner
    # Finance sees nothing of the service desk; the outsider is in another estate.
    for actor in (cast.finance, cast.outsider):
        refused(cast, service_request, photo_upload(), actor=actor)


def test_no_photos_on_a_closed_request_and_at_most_nine(cast):
    service_request = receive(cast)
    for _number in range(actions.MAX_PHOTOS_PER_REQUEST):
        actions.add_request_photo(actor=cast.assistant, service_request=service_request, upload=photo_upload())
    assert "9" in refused(cast, service_request, photo_upload())
    closed = walk(cast, receive(cast), "closed")
    refused(cast, closed, photo_upload())

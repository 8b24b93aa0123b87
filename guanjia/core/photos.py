"""Photos people upload (of a problem, of a key, of a parcel, an ID copy): accepted only when the
content is a JPEG, PNG or WebP image, whatever the file is called, at most the attachment limit
and at most GUANJIA_PHOTO_MAX_PIXELS (a small file can decode into gigabytes: a "decompression
bomb"). Shared by every app that keeps photos, so that one check decides what a photo is.

What is stored is not the upload itself: the image is decoded and written again, which leaves
out its EXIF data (the GPS position a phone records above all), under a generated name whose
extension comes from the checked content type. Beside it, by a naming convention rather than a
column (`thumbnail_name`), a small JPEG thumbnail that pages show; the full image is served by
the same access-checked view."""

from __future__ import annotations

import io
import uuid
import warnings
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError

# What Pillow calls each accepted image format, and the content type it is served with.
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# The extension a stored photo gets from its checked content type (never from its name).
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# A thumbnail fits in a square this many pixels wide: sharp in a list on a phone's screen.
THUMBNAIL_SIZE = 480
THUMBNAIL_SUFFIX = ".thumb.jpg"


def sniff_photo(head: bytes) -> str | None:
    """The image type the first bytes announce, whatever the file is called."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photo(upload: Any, field: str = "photo") -> str:
    """The content type of an uploaded photo, or a DomainError naming `field`: it must be a
    JPEG, PNG or WebP image by its content (not its name), at most the attachment limit in
    bytes and GUANJIA_PHOTO_MAX_PIXELS in pixels (counted from the header, before decoding)."""
    limit = settings.GUANJIA_ATTACHMENT_MAX_BYTES
    if upload is None or not getattr(upload, "size", 0):
        raise DomainError(_("Choose a photo to upload."), field=field)
    if upload.size > limit:
        raise DomainError(
            _("A photo is at most %(limit)d MB; this file is %(size).1f MB.")
            % {"limit": limit // (1024 * 1024), "size": upload.size / (1024 * 1024)},
            field=field,
        )
    upload.seek(0)
    head = upload.read(16)
    content_type = sniff_photo(head)
    if content_type is None:
        raise DomainError(_("Only photos can be added: JPEG, PNG or WebP images."), field=field)
    # The first bytes can be faked: the whole file must also decode as that kind of image.
    upload.seek(0)
    pixel_limit = settings.GUANJIA_PHOTO_MAX_PIXELS
    size = ""
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own limit; ours is lower and is checked just below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(upload.read()))
        with image:
            found = PHOTO_FORMATS.get(image.format or "")
            width, height = image.size  # read from the header: nothing is decoded yet
            if width * height > pixel_limit:
                size = f"{width}×{height}"
            else:
                image.verify()
    except Image.DecompressionBombError as error:  # so large that Pillow refuses to open it at all
        found, size = None, bomb_size(error)
    except Exception:  # Pillow raises many kinds of errors for a broken or hostile file
        found = None
    upload.seek(0)
    if size:
        raise DomainError(
            _("This image has %(size)s pixels; at most %(limit)d megapixels are accepted. Save it smaller.")
            % {"size": size, "limit": pixel_limit // 1_000_000},
            field=field,
        )
    if found != content_type:
        raise DomainError(_("This file is not a readable image. Take the photo again."), field=field)
    return content_type


def bomb_size(error: Exception) -> str:
    """The pixels Pillow's refusal names ("Image size (400000000 pixels) exceeds ...")."""
    numbers = [word.strip("(") for word in str(error).split() if word.strip("(").isdigit()]
    return f"{int(numbers[0]):,}" if numbers else "∞"


def stored_name(content_type: str) -> str:
    """A new file's name: generated, with the extension of its checked content type."""
    return f"{uuid.uuid4().hex}.{PHOTO_EXTENSIONS[content_type]}"


def thumbnail_name(name: str) -> str:
    """Where the thumbnail of the stored image `name` is kept, beside it."""
    return name + THUMBNAIL_SUFFIX


def without_metadata(upload: Any, content_type: str) -> bytes:
    """The checked image written again with its pixels alone: no EXIF (GPS position, camera,
    time), no comments, no embedded thumbnail. A photo taken sideways is turned upright first,
    since the orientation was one of the tags left out."""
    upload.seek(0)
    with Image.open(io.BytesIO(upload.read())) as image:
        upright = ImageOps.exif_transpose(image)
        buffer = io.BytesIO()
        kind = next(name for name, value in PHOTO_FORMATS.items() if value == content_type)
        if kind == "JPEG":
            upright = upright.convert("RGB") if upright.mode not in ("RGB", "L") else upright
            upright.save(buffer, "JPEG", quality=90, optimize=True)
        elif kind == "PNG":
            upright.save(buffer, "PNG", optimize=True)
        else:
            upright.save(buffer, "WEBP", quality=90)
    upload.seek(0)
    return buffer.getvalue()


def thumbnail_of(content: bytes) -> bytes:
    """A JPEG at most THUMBNAIL_SIZE pixels on its longer side."""
    with Image.open(io.BytesIO(content)) as image:
        small = image.convert("RGB")
        small.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue()


def save_image(field_file: Any, upload: Any, content_type: str) -> int:
    """Store a checked image on a model's file field (not saving the row): without its metadata,
    under a generated name, with its thumbnail beside it. Returns the stored size in bytes."""
    content = without_metadata(upload, content_type)
    try:
        thumbnail: bytes | None = thumbnail_of(content)
    except (OSError, ValueError):  # a mode JPEG cannot hold (16-bit greys): the image is its own
        thumbnail = None
    field_file.save(stored_name(content_type), ContentFile(content), save=False)
    if thumbnail is not None:
        try:
            field_file.storage.save(thumbnail_name(field_file.name), ContentFile(thumbnail))
        except BaseException:
            field_file.delete(save=False)
            raise
    return len(content)


def delete_image(field_file: Any) -> None:
    """Remove a stored image and its thumbnail (a row that was never saved, or is deleted)."""
    if field_file.name:
        field_file.storage.delete(thumbnail_name(field_file.name))
        field_file.delete(save=False)


def upload_name(upload: Any) -> str:
    """The uploaded file's own name, without any folders, kept only to be shown."""
    return str(getattr(upload, "name", "") or "").rsplit("/", 1)[-1][:200]


def store_photo(photo: Any, upload: Any, *, actor: Any, target: Any, estate_id: int) -> None:
    """Write a checked photo's file and its row (`photo`, an unsaved model instance with a
    `file` field), and the audit entry on `target`. A failure after the file is written
    removes the file again: no file without its row."""
    name = photo.original_name
    photo.size = save_image(photo.file, upload, photo.content_type)
    try:
        photo.save()
        changes = {"photo": [None, name]}
        record_change(actor=actor, target=target, verb="add_photo", estate_id=estate_id, changes=changes)
    except BaseException:
        delete_image(photo.file)
        raise


def photo_response(photo: Any, *, thumbnail: bool = False) -> Any:
    """The stored photo itself, or its thumbnail, shown in the browser and never sniffed as
    anything else. A photo stored before thumbnails were made is its own thumbnail."""
    storage, name = photo.file.storage, photo.file.name
    if thumbnail and storage.exists(thumbnail_name(name)):
        response = FileResponse(storage.open(thumbnail_name(name), "rb"), content_type="image/jpeg")
    else:
        if not storage.exists(name):
            raise Http404
        response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response

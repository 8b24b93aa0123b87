"""Photos people upload (of a problem, of a key, of a parcel): accepted only when the content
is a JPEG, PNG or WebP image, whatever the file is called, and at most the attachment limit.
Shared by every app that keeps photos, so that one check decides what a photo is."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image

from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError

# What Pillow calls each accepted image format, and the content type it is served with.
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# The extension a stored photo gets from its checked content type (never from its name).
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


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
    JPEG, PNG or WebP image by its content (not its name) and at most the attachment limit."""
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
    try:
        with Image.open(io.BytesIO(upload.read())) as image:
            found = PHOTO_FORMATS.get(image.format or "")
            image.verify()
    except Exception:  # Pillow raises many kinds of errors for a broken or hostile file
        found = None
    upload.seek(0)
    if found != content_type:
        raise DomainError(_("This file is not a readable image. Take the photo again."), field=field)
    return content_type


def upload_name(upload: Any) -> str:
    """The uploaded file's own name, without any folders, kept only to be shown."""
    return str(getattr(upload, "name", "") or "").rsplit("/", 1)[-1][:200]


def store_photo(photo: Any, upload: Any, *, actor: Any, target: Any, estate_id: int) -> None:
    """Write a checked photo's file and its row (`photo`, an unsaved model instance with a
    `file` field), and the audit entry on `target`. A failure after the file is written
    removes the file again: no file without its row."""
    name = photo.original_name
    photo.file.save(name or "photo", upload, save=False)
    try:
        photo.save()
        changes = {"photo": [None, name]}
        record_change(actor=actor, target=target, verb="add_photo", estate_id=estate_id, changes=changes)
    except BaseException:
        photo.file.delete(save=False)
        raise


def photo_response(photo: Any) -> Any:
    """The stored photo itself, shown in the browser and never sniffed as anything else."""
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response

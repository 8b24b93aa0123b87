"""Scanned documents in the owner archive (contract, ID copy, handover form).

A document is kept under a generated name whose extension comes from its content (a PDF, a PNG
or a JPEG), never from the name it was uploaded with; a name whose extension says another type
is refused. A scanned image is stored as every photo is (guanjia.core.photos): at most so many
pixels, written again without its EXIF data (a phone's GPS position), with a thumbnail beside it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.core.photos import check_photo, delete_image, save_image, upload_name
from guanjia.people.models import Attachment, Person

ALLOWED_ATTACHMENT_SIGNATURES = {
    b"%PDF": "application/pdf",
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


# The extensions a document's name may have, by its content type.
EXTENSIONS = {"application/pdf": ("pdf",), "image/png": ("png",), "image/jpeg": ("jpg", "jpeg", "jpe", "jfif")}


def sniff_content_type(head: bytes) -> str | None:
    for signature, content_type in ALLOWED_ATTACHMENT_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


def check_extension(name: str, content_type: str) -> None:
    """A name whose extension says another type than the content is refused: what it claims to
    be is not what it is. A name without an extension is taken."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.lower() not in EXTENSIONS[content_type]:
        raise DomainError(
            _("“%(name)s” is a %(kind)s file by its content: name it .%(extension)s or upload the right file.")
            % {"name": name, "kind": EXTENSIONS[content_type][0].upper(), "extension": EXTENSIONS[content_type][0]},
            field="file",
        )


@transaction.atomic
def add_attachment(*, actor: AbstractBaseUser, person: Person, title: str, upload: UploadedFile) -> Attachment:
    if not title.strip():
        raise DomainError(_("Give the document a title."), field="title")
    size = upload.size or 0
    if size > settings.GUANJIA_ATTACHMENT_MAX_BYTES:
        raise DomainError(_("The file is larger than 10 MB."), field="file")
    head = upload.read(8)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise DomainError(_("Only PDF, PNG and JPEG files can be attached."), field="file")
    check_extension(upload_name(upload), content_type)
    attachment = Attachment(
        person=person, title=title.strip(), content_type=content_type, size=size, uploaded_by_id=actor.pk
    )
    if content_type == "application/pdf":
        attachment.file.save(f"{uuid.uuid4().hex}.pdf", upload, save=False)
    else:
        check_photo(upload, field="file")
        attachment.size = save_image(attachment.file, upload, content_type)
    try:
        attachment.save()
    except BaseException:
        delete_image(attachment.file)
        raise
    record_change(
        actor=actor,
        target=person,
        verb="add_attachment",
        estate_id=person.estate_id,
        changes={"attachment": [None, attachment.title]},
    )
    return attachment

"""Scanned documents in the owner archive (contract, ID copy, handover form)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from guanjia.core.audit import record_change
from guanjia.core.errors import DomainError
from guanjia.people.models import Attachment, Person

ALLOWED_ATTACHMENT_SIGNATURES = {
    b"%PDF": "application/pdf",
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def sniff_content_type(head: bytes) -> str | None:
    for signature, content_type in ALLOWED_ATTACHMENT_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


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
    attachment = Attachment.objects.create(
        person=person,
        title=title.strip(),
        file=upload,
        content_type=content_type,
        size=size,
        uploaded_by_id=actor.pk,
    )
    record_change(
        actor=actor,
        target=person,
        verb="add_attachment",
        estate_id=person.estate_id,
        changes={"attachment": [None, attachment.title]},
    )
    return attachment

"""Photos of a request: of the problem, or of the finished work."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.errors import DomainError
from guanjia.core.photos import check_photo, store_photo, upload_name
from guanjia.servicedesk import access, queries
from guanjia.servicedesk.models import FINISHED_STATUSES, RequestPhoto, ServiceRequest

MAX_PHOTOS_PER_REQUEST = 9


def check_new_photos(uploads: list[UploadedFile], field: str) -> None:
    """The photos sent with a new request, checked before anything is written: how many, and
    that each one is an image."""
    if len(uploads) > MAX_PHOTOS_PER_REQUEST:
        raise DomainError(
            _("A request has at most %(count)d photos.") % {"count": MAX_PHOTOS_PER_REQUEST},
            field=field,
        )
    for upload in uploads:
        check_photo(upload, field=field)


def add_request_photo(
    *,
    actor: User,
    service_request: ServiceRequest | int,
    upload: UploadedFile,
    stage: str = "",
    now: dt.datetime | None = None,
) -> RequestPhoto:
    """Attach a photo of the problem, or the field worker's photo before or after the work
    (`stage`). Checked before anything is written; the request row is locked so that two
    uploads cannot pass the limit together."""
    if stage not in ("", *RequestPhoto.Stage.values):
        raise DomainError(_("Choose whether the photo is from before or after the work."), field="stage")
    content_type = check_photo(upload)
    request_id = service_request.pk if isinstance(service_request, ServiceRequest) else service_request
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().filter(pk=request_id).first()
        if locked is None:
            raise DomainError(_("This request does not exist."), field="request")
        if not (access.can_act(actor, locked) or access.is_requester(actor, locked)):
            raise DomainError(_("You cannot add photos to this request."), field="request")
        if locked.status in FINISHED_STATUSES:
            raise DomainError(
                _("This request is “%(status)s”: photos can no longer be added.")
                % {"status": locked.get_status_display()},
                field="photo",
            )
        if queries.photo_count(locked) >= MAX_PHOTOS_PER_REQUEST:
            raise DomainError(
                _("A request has at most %(count)d photos.") % {"count": MAX_PHOTOS_PER_REQUEST}, field="photo"
            )
        photo = RequestPhoto(
            request=locked,
            content_type=content_type,
            size=upload.size or 0,  # never 0: check_photo refused a file without a size
            original_name=upload_name(upload),
            uploaded_by=actor,
            uploaded_at=now or timezone.now(),
            stage=stage,
        )
        store_photo(photo, upload, actor=actor, target=locked, estate_id=locked.estate_id)
    return photo

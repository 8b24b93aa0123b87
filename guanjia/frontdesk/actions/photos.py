"""Photos of keys and parcels, at most three to an item."""

from __future__ import annotations

import datetime

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.errors import DomainError
from guanjia.core.photos import check_photo, store_photo, upload_name
from guanjia.frontdesk import queries
from guanjia.frontdesk.models import CustodyPhoto, Key, Parcel

MAX_PHOTOS_PER_ITEM = 3


def add_key_photo(*, actor: User, key: Key, upload: File, now: datetime.datetime | None = None) -> CustodyPhoto:
    """A photo of a key (its tag, its cut), checked before anything is written. The key row is
    locked so that two uploads at once cannot pass the limit together."""
    content_type = check_photo(upload)
    with transaction.atomic():
        locked = Key.objects.select_for_update().get(pk=key.pk)
        return store_custody_photo(actor=actor, upload=upload, content_type=content_type, key=locked, now=now)


def add_parcel_photo(
    *, actor: User, parcel: Parcel, upload: File, now: datetime.datetime | None = None
) -> CustodyPhoto:
    """A photo of a parcel or an entrusted item as it came in, while it waits at the desk.
    Checked before anything is written; the parcel row is locked for the limit."""
    content_type = check_photo(upload)
    with transaction.atomic():
        locked = Parcel.objects.select_for_update().get(pk=parcel.pk)
        if locked.status != Parcel.Status.WAITING:
            raise DomainError(
                _("This parcel has already been handed over: photos can no longer be added."), field="photo"
            )
        return store_custody_photo(actor=actor, upload=upload, content_type=content_type, parcel=locked, now=now)


def store_custody_photo(
    *,
    actor: User,
    upload: File,
    content_type: str,
    key: Key | None = None,
    parcel: Parcel | None = None,
    now: datetime.datetime | None = None,
) -> CustodyPhoto:
    """Save a checked photo for a key or a parcel whose row the caller has locked (or has just
    created). Runs inside the caller's transaction."""
    item: Key | Parcel | None = key if key is not None else parcel
    if item is None:
        raise ValueError("A custody photo is of a key or of a parcel.")
    if queries.photo_count(key=key, parcel=parcel) >= MAX_PHOTOS_PER_ITEM:
        raise DomainError(
            _("A key or a parcel has at most %(count)d photos.") % {"count": MAX_PHOTOS_PER_ITEM}, field="photo"
        )
    photo = CustodyPhoto(
        estate_id=item.estate_id,
        key=key,
        parcel=parcel,
        content_type=content_type,
        size=upload.size,
        original_name=upload_name(upload),
        uploaded_by=actor,
        uploaded_at=now or timezone.now(),
    )
    store_photo(photo, upload, actor=actor, target=item, estate_id=item.estate_id)
    return photo

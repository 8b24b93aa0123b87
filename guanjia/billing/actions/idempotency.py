"""Money requests carried out once per idempotency key.

Every money form renders a fresh key (a hidden input) each time it is shown, and every money
endpoint takes one in the `Idempotency-Key` header. The key is claimed by inserting an
IdempotencyKey row, unique per user and key, in the same transaction as the money row:

- the first request inserts it, records the money and stores what it created;
- a second request with the key (a double click, a retry after a lost answer) fails the
  insert and is answered with what the first created, nothing recorded again;
- two at once: the second insert waits on the unique index until the first commits (then it
  is a replay) or rolls back (then it goes ahead) — a constraint, never check-then-act;
- the same key with other values (another amount, unit or bills) is refused (KeyReused).

A request that is refused rolls back its key with everything else, so the key may be used
again for the corrected request."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.billing.models import IdempotencyKey, Payment, PaymentOrder
from guanjia.core.errors import DomainError

# The name of the key: the API header, and the field a refusal names.
KEY_HEADER = "Idempotency-Key"
# The name of the hidden input of the money forms.
KEY_FIELD = "idempotency_key"
MAX_KEY_LENGTH = 100

Created = TypeVar("Created", Payment, PaymentOrder)


@dataclass(frozen=True)
class Once(Generic[Created]):
    """What a keyed request created, and whether it was created by an earlier request."""

    result: Created
    replayed: bool


class KeyReused(DomainError):
    """The key was used before for a request with other values: refused, nothing changed
    (409 in the API)."""


def new_key() -> str:
    """A fresh key for a money form, rendered each time the form is shown."""
    return uuid.uuid4().hex


def check_key(key: str | None) -> str:
    """The key as sent, or DomainError naming the header: one to a hundred printable ASCII
    characters (a UUID is the usual choice)."""
    key = (key or "").strip()
    if not key:
        raise DomainError(
            _("Send an Idempotency-Key with every money request (a new UUID per payment)."), field=KEY_HEADER
        )
    if len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise DomainError(
            _("An Idempotency-Key is at most %(count)d printable ASCII characters, e.g. a UUID.")
            % {"count": MAX_KEY_LENGTH},
            field=KEY_HEADER,
        )
    return key


def fingerprint(operation: str, values: dict[str, object]) -> str:
    """A digest of what a request asks for, to tell a repeat from another request."""
    text = json.dumps([operation, values], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def run_once(
    *,
    actor: User,
    key: str | None,
    operation: str,
    values: dict[str, object],
    model: type[Created],
    write: Callable[[], Created],
) -> Once[Created]:
    """`write()` carried out once for the actor's key: its result, or the result of the
    earlier request that used the key for the same values."""
    claimed = check_key(key)
    digest = fingerprint(operation, values)
    with transaction.atomic():
        try:
            # A savepoint of its own: a failed insert leaves the outer transaction usable.
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=actor, key=claimed, operation=operation, fingerprint=digest)
        except IntegrityError:
            return replay(actor, claimed, operation, digest, model)
        created = write()
        record.object_id = created.pk
        record.save(update_fields=["object_id"])
        return Once(created, replayed=False)


def replay(actor: User, key: str, operation: str, digest: str, model: type[Created]) -> Once[Created]:
    """What the earlier request with this key created (it has committed: the insert that
    failed waited for it)."""
    record = IdempotencyKey.objects.get(user=actor, key=key)
    if record.operation != operation or record.fingerprint != digest or record.object_id is None:
        raise KeyReused(
            _(
                "This Idempotency-Key was already used for another request. "
                "Nothing was recorded: reload the form (or send a new key) and try again."
            ),
            field=KEY_HEADER,
        )
    return Once(model.objects.get(pk=record.object_id), replayed=True)

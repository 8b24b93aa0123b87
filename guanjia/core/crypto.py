"""Encryption at rest for personal data (ID numbers).

Keys come from GUANJIA_FIELD_KEYS, newest first. Decryption tries every key, encryption
uses the first, so rotation is: put the new key in front, deploy, run
`manage.py rotate_field_keys`, then drop the old key. The keys are random and independent of
SECRET_KEY: `make run` makes them on its first run into var/secrets.json (config/local_secrets.py),
production sets them. Nothing here derives a key from another value, so a copy of the
database plus the source code gives no ID number away.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The embedded setup once derived its field key from SECRET_KEY, whose development value was
# printed in the source. A database made back then is readable by anyone with the source, so a
# key made that way is refused rather than trusted (docs/deploy.md: reload such a database).
OLD_PUBLIC_SECRET_KEY = "dev-only-not-secret-guanjia-key"


def _derived_keys() -> set[bytes]:
    """The field keys the old derivation gave for the public development key and for this
    installation's SECRET_KEY: known to refuse, never to use."""
    return {
        base64.urlsafe_b64encode(hashlib.sha256(("guanjia-field-key:" + secret).encode()).digest())
        for secret in (OLD_PUBLIC_SECRET_KEY, settings.SECRET_KEY)
    }


@cache
def _keys() -> tuple[bytes, ...]:
    keys = tuple(k.encode() for k in settings.GUANJIA_FIELD_KEYS)
    if not keys:
        raise ImproperlyConfigured("GUANJIA_FIELD_KEYS is empty: ID numbers cannot be encrypted (docs/deploy.md).")
    if set(keys) & _derived_keys():
        raise ImproperlyConfigured(
            "GUANJIA_FIELD_KEYS holds a key derived from SECRET_KEY; use random keys only (docs/deploy.md)."
        )
    return keys


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in _keys()])


def reset_key_cache() -> None:
    _keys.cache_clear()
    _fernet.cache_clear()
    _index_key.cache_clear()


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt under the newest key (a no-op in meaning, new bytes on disk)."""
    if not token:
        return ""
    return _fernet().rotate(token.encode()).decode()


@cache
def _index_key() -> bytes:
    configured = getattr(settings, "GUANJIA_FIELD_INDEX_KEY", "")
    if not configured:
        raise ImproperlyConfigured("GUANJIA_FIELD_INDEX_KEY is empty: ID numbers cannot be indexed (docs/deploy.md).")
    return configured.encode()


def blind_index(plain: str) -> str:
    """A keyed digest for finding duplicates without decrypting. It has its own key
    (GUANJIA_FIELD_INDEX_KEY) so that rotating the encryption keys leaves it alone."""
    if not plain:
        return ""
    return hmac.new(_index_key(), plain.upper().encode(), hashlib.sha256).hexdigest()[:32]

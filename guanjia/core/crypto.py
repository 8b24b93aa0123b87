"""Encryption at rest for personal data (ID numbers).

Keys come from GUANJIA_FIELD_KEYS, newest first. Decryption tries every key, encryption
uses the first, so rotation is: put the new key in front, deploy, run
`manage.py rotate_field_keys`, then drop the old key. Development without keys derives one
from SECRET_KEY so that `make run` works with no setup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _development_key() -> bytes:
    digest = hashlib.sha256(("guanjia-field-key:" + settings.SECRET_KEY).encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _keys() -> tuple[bytes, ...]:
    configured = tuple(k.encode() for k in settings.GUANJIA_FIELD_KEYS)
    return configured or (_development_key(),)


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
    if configured:
        return configured.encode()
    return hashlib.sha256(("guanjia-index-key:" + settings.SECRET_KEY).encode()).digest()


def blind_index(plain: str) -> str:
    """A keyed digest for finding duplicates without decrypting. It has its own key
    (GUANJIA_FIELD_INDEX_KEY) so that rotating the encryption keys leaves it alone."""
    if not plain:
        return ""
    return hmac.new(_index_key(), plain.upper().encode(), hashlib.sha256).hexdigest()[:32]

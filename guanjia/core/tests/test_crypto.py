import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured

from guanjia.core import crypto
from guanjia.people.actions import rotate_personal_data_keys
from guanjia.people.models import Person


def test_encrypt_round_trip_and_tokens_differ(settings):
    token = crypto.encrypt("11010519491231002X")
    assert "11010519491231002X" not in token
    assert crypto.decrypt(token) == "11010519491231002X"
    assert crypto.encrypt("11010519491231002X") != token


def test_key_rotation_reencrypts_under_the_new_key(cast, settings):
    old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    try:
        settings.GUANJIA_FIELD_KEYS = [old_key]
        crypto.reset_key_cache()
        Person.objects.exclude(pk=cast.owner_person.pk).update(id_number_encrypted="")
        cast.owner_person.set_id_number("11010519491231002X")
        cast.owner_person.save()
        digest = cast.owner_person.id_number_digest

        settings.GUANJIA_FIELD_KEYS = [new_key, old_key]
        crypto.reset_key_cache()
        assert rotate_personal_data_keys(batch_size=1) == Person.objects.exclude(id_number_encrypted="").count()

        settings.GUANJIA_FIELD_KEYS = [new_key]  # the old key is gone: everything still reads
        crypto.reset_key_cache()
        person = Person.objects.get(pk=cast.owner_person.pk)
        assert person.reveal_id_number() == "11010519491231002X"
        assert person.id_number_digest == digest
    finally:
        crypto.reset_key_cache()


# Keys that anyone could compute: the embedded setup once derived its field keys from
# SECRET_KEY, whose development value was printed in the source.
OLD_PUBLIC_SECRET_KEY = "dev-only-not-secret-guanjia-key"


def derived_field_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(("guanjia-field-key:" + secret_key).encode()).digest()
    return base64.urlsafe_b64encode(digest)


def derived_index_key(secret_key: str) -> bytes:
    return hashlib.sha256(("guanjia-index-key:" + secret_key).encode()).digest()


def test_stored_id_numbers_do_not_decrypt_with_keys_derived_from_public_values(cast, settings):
    """A copy of the database file plus the source code must not give the ID numbers away."""
    person = Person.objects.get(pk=cast.owner_person.pk)
    token, digest = person.id_number_encrypted, person.id_number_digest
    assert person.reveal_id_number()  # the configured key reads it
    for secret_key in {OLD_PUBLIC_SECRET_KEY, settings.SECRET_KEY}:
        with pytest.raises(InvalidToken):
            Fernet(derived_field_key(secret_key)).decrypt(token.encode())
        plain = person.reveal_id_number().upper().encode()
        assert hmac.new(derived_index_key(secret_key), plain, hashlib.sha256).hexdigest()[:32] != digest


def test_no_field_key_is_derived_when_none_is_configured(settings):
    try:
        settings.GUANJIA_FIELD_KEYS = []
        crypto.reset_key_cache()
        with pytest.raises(ImproperlyConfigured, match="GUANJIA_FIELD_KEYS"):
            crypto.encrypt("11010519491231002X")
        settings.GUANJIA_FIELD_KEYS = [Fernet.generate_key().decode()]
        settings.GUANJIA_FIELD_INDEX_KEY = ""
        crypto.reset_key_cache()
        with pytest.raises(ImproperlyConfigured, match="GUANJIA_FIELD_INDEX_KEY"):
            crypto.blind_index("11010519491231002X")
    finally:
        crypto.reset_key_cache()


def test_a_key_derived_from_the_secret_key_is_refused(settings):
    for secret_key in (OLD_PUBLIC_SECRET_KEY, settings.SECRET_KEY):
        try:
            settings.GUANJIA_FIELD_KEYS = [derived_field_key(secret_key).decode()]
            crypto.reset_key_cache()
            with pytest.raises(ImproperlyConfigured, match="derived"):
                crypto.encrypt("11010519491231002X")
            # Also as the older key beside a new one: it would still read what it encrypted.
            settings.GUANJIA_FIELD_KEYS = [Fernet.generate_key().decode(), derived_field_key(secret_key).decode()]
            crypto.reset_key_cache()
            with pytest.raises(ImproperlyConfigured, match="derived"):
                crypto.decrypt("gAAAAA-any-stored-token")
        finally:
            crypto.reset_key_cache()

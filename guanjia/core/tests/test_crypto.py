from cryptography.fernet import Fernet

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

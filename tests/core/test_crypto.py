import pytest
from django.db import connection

from yemai.core import crypto
from yemai.people.models import Resident


@pytest.fixture
def clear_keyring():
    crypto._keyring.cache_clear()
    yield
    crypto._keyring.cache_clear()


def test_it_round_trips_with_aes_and_sm4(settings, clear_keyring):
    for cipher in ("aes-gcm", "sm4-gcm"):
        settings.CIPHER = cipher
        token = crypto.encrypt("330282198001010011", context="people.resident.id_number")
        assert token.startswith("a1$" if cipher == "aes-gcm" else "s1$")
        assert "330282198001010011" not in token
        assert crypto.decrypt(token, context="people.resident.id_number") == "330282198001010011"


def test_it_never_encrypts_the_same_value_the_same_way():
    a = crypto.encrypt("13812345678", context="x")
    b = crypto.encrypt("13812345678", context="x")
    assert a != b


def test_it_refuses_a_value_moved_to_another_column():
    token = crypto.encrypt("13812345678", context="people.resident.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="people.house.address")


def test_it_refuses_a_tampered_value():
    token = crypto.encrypt("13812345678", context="c")
    tag, kid, payload = token.split("$")
    flipped = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{tag}${kid}${flipped}", context="c")


def test_it_names_an_unknown_key(settings, clear_keyring):
    token = crypto.encrypt("x", context="c")
    settings.ENCRYPTION_KEYS = "other:" + crypto.generate_key()
    crypto._keyring.cache_clear()
    with pytest.raises(crypto.DecryptionError, match="test1"):
        crypto.decrypt(token, context="c")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "holds no key"),
        ("nokey", "must look like"),
        ("k1:not-base64!", "not base64"),
        ("k1:c2hvcnQ=", "shorter than 32 bytes"),
    ],
)
def test_it_rejects_bad_key_settings_with_a_message(spec, message):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.parse_keys(spec)


def test_it_stores_personal_data_encrypted_in_the_database(town):
    with connection.cursor() as cursor:
        cursor.execute(
            "select id_number, phone from people_resident where id = %s",
            [town.resident_dongmen1.pk],
        )
        raw_id, raw_phone = cursor.fetchone()
    assert raw_id.startswith("a1$") and "330282" not in raw_id
    assert raw_phone.startswith("a1$") and "1381234" not in raw_phone
    fresh = Resident.objects.get(pk=town.resident_dongmen1.pk)
    assert fresh.phone == "13812345678"


def test_lookup_hash_depends_on_key_and_purpose(settings):
    a = crypto.lookup_hash("330282198001010011", purpose="id")
    assert a == crypto.lookup_hash("330282198001010011", purpose="id")
    assert a != crypto.lookup_hash("330282198001010011", purpose="phone")
    settings.LOOKUP_KEYS = ["another"]
    assert a != crypto.lookup_hash("330282198001010011", purpose="id")

"""``yemai keys``: fresh keys for the environment, rotation of every encrypted column onto the
newest key while the site runs, and a count of values per key id."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.factories import make_id_number
from yemai.core import crypto, keys
from yemai.grids.models import TeamMember
from yemai.people.models import House, Resident
from yemai.people.services import resident_create

KEY_A = "test1:dGVzdC1rZXktMzItYnl0ZXMtbG9uZy10ZXN0LWtleSEhIQ=="  # tests/settings.py
KEY_B = "kB:" + base64.b64encode(b"B" * 32).decode()


@pytest.fixture
def keyring(settings):
    """Change ``settings.ENCRYPTION_KEYS`` with ``keyring(spec)``; the cache follows."""

    def use(spec: str, cipher: str | None = None):
        settings.ENCRYPTION_KEYS = spec
        if cipher:
            settings.CIPHER = cipher
        crypto._keyring.cache_clear()

    yield use
    crypto._keyring.cache_clear()


def raw_values(column: keys.Column) -> list[str]:
    """The stored tokens, straight from the table."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(column.field.column)} FROM {qn(column.model._meta.db_table)}")
        return [row[0] for row in cursor.fetchall() if row[0]]


def plaintexts() -> dict:
    """Every encrypted value, decrypted through the models."""
    return {
        c.label: sorted(getattr(o, c.field.attname) for o in c.model._base_manager.all())
        for c in keys.encrypted_columns()
    }


def run(*args) -> str:
    out = io.StringIO()
    call_command("keys", *args, verbosity=0, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_it_prints_fresh_keys_for_the_environment():
    lines = run("generate").strip().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "YEMAI_ENCRYPTION_KEYS",
        "YEMAI_LOOKUP_KEY",
    ]
    (key,) = crypto.parse_keys(lines[0].split("=", 1)[1])
    assert key.kid.isalnum() and len(key.material) == 32
    assert len(lines[1].split("=", 1)[1]) >= 40
    assert run("generate") != run("generate")


def test_generate_works_before_any_key_is_configured():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YEMAI_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "-m", "yemai.cli", "keys", "generate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("YEMAI_ENCRYPTION_KEYS=k")


def test_it_finds_every_encrypted_column_of_every_app():
    labels = {c.label for c in keys.encrypted_columns()}
    assert {
        "people.resident.id_number",
        "people.resident.phone",
        "people.house.address",
        "people.organisation.contact_phone",
        "grids.teammember.phone",
    } <= labels


def test_it_rotates_every_value_to_the_new_key_and_the_old_key_can_go(town, keyring):
    House.objects.create(grid=town.dongmen1, code="H1", address="东门路12号3幢501室")
    before = plaintexts()
    columns = keys.encrypted_columns()
    assert {crypto.token_kid(v) for c in columns for v in raw_values(c)} == {"test1"}

    keyring(f"{KEY_B},{KEY_A}")
    output = run("rotate", "--batch", "2")
    assert "under key kB" in output
    assert {crypto.token_kid(v) for c in columns for v in raw_values(c)} == {"kB"}
    assert "every value is under kB" in run("status")

    keyring(KEY_B)  # the old key is gone: everything still reads
    assert plaintexts() == before
    assert Resident.objects.get(pk=town.resident_dongmen1.pk).phone == "13812345678"


def test_it_leaves_values_already_under_the_current_key_alone(town, keyring):
    keyring(f"{KEY_B},{KEY_A}")
    run("rotate")
    tokens = raw_values(keys.Column(Resident, Resident._meta.get_field("id_number")))
    result = keys.keys_rotate()
    assert result.total == 0
    assert raw_values(keys.Column(Resident, Resident._meta.get_field("id_number"))) == tokens


def test_a_row_changed_during_rotation_is_read_again(town, keyring, monkeypatch):
    keyring(f"{KEY_B},{KEY_A}")
    resident = town.resident_dongmen1
    real_decrypt = crypto.decrypt
    raced = []

    def decrypt_while_the_site_writes(token, *, context):
        if context == "people.resident.phone" and not raced:
            raced.append(token)
            # A web process still on the old key saves a new number under our feet.
            keyring(KEY_A)
            stale = crypto.encrypt("13900009999", context=context)
            keyring(f"{KEY_B},{KEY_A}")
            Resident.objects.filter(pk=resident.pk).update(phone=stale)
        return real_decrypt(token, context=context)

    monkeypatch.setattr(keys.crypto, "decrypt", decrypt_while_the_site_writes)
    result = keys.keys_rotate(batch=1)
    assert result.passes >= 2
    assert not result.failed
    column = keys.Column(Resident, Resident._meta.get_field("phone"))
    assert {crypto.token_kid(v) for v in raw_values(column)} == {"kB"}
    assert Resident.objects.get(pk=resident.pk).phone == "13900009999"  # the newer write won


def test_it_reports_values_no_listed_key_can_read(town, keyring):
    keyring(KEY_B)  # key A was dropped before rotating
    with pytest.raises(CommandError, match="could not be decrypted"):
        run("rotate")


def test_status_counts_values_per_key_id_and_column(town, keyring):
    output = run("status")
    assert "current key: test1" in output
    assert "people.resident.id_number: test1=4" in output
    keyring(f"{KEY_B},{KEY_A}")
    output = run("status")
    assert "people.resident.id_number: test1=4 *" in output
    assert "keys rotate" in output


def test_sm4_round_trips_through_the_model_and_rotates(town, keyring):
    keyring(KEY_A, cipher="sm4-gcm")
    number = make_id_number(77, "19560304")
    resident = resident_create(grid=town.ximen1, name="孙八", id_number=number, phone="13600001234")
    column = keys.Column(Resident, Resident._meta.get_field("id_number"))
    assert any(v.startswith("s1$test1$") for v in raw_values(column))
    assert Resident.objects.get(pk=resident.pk).id_number == number
    keyring(f"{KEY_B},{KEY_A}", cipher="sm4-gcm")
    keys.keys_rotate()
    keyring(KEY_B, cipher="sm4-gcm")
    assert Resident.objects.get(pk=resident.pk).id_number == number
    assert all(v.startswith("s1$kB$") for v in raw_values(column))


@pytest.mark.parametrize("cipher", ["aes-gcm", "sm4-gcm"])
def test_a_token_copied_to_another_column_does_not_decrypt(town, keyring, cipher):
    keyring(KEY_A, cipher=cipher)
    resident = resident_create(
        grid=town.ximen1, name="周九", id_number=make_id_number(88), phone="13600005678"
    )
    column = keys.Column(Resident, Resident._meta.get_field("phone"))
    token = column.rows().filter(pk=resident.pk).values_list("_token", flat=True).get()
    assert token.startswith("s1$" if cipher == "sm4-gcm" else "a1$")
    # The same person's phone token pasted into another person's ID number column …
    Resident.objects.filter(pk=town.resident_ximen1.pk).update(id_number=token)
    with pytest.raises(crypto.DecryptionError):
        Resident.objects.get(pk=town.resident_ximen1.pk)
    # … or into a team member's phone column: neither decrypts.
    TeamMember.objects.filter(pk=town.ximen1_member_row.pk).update(phone=token)
    with pytest.raises(crypto.DecryptionError):
        TeamMember.objects.get(pk=town.ximen1_member_row.pk)

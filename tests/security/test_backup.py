"""`yemai backup` / `yemai restore`: encrypted, and restored into an empty database."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import build_town
from yemai.core.audit import audit_verify


def _flush():
    """Empty the database, then seed what migrations seed: a freshly migrated database."""
    from tests.security.helpers import reseed_reference_data

    call_command("flush", interactive=False, verbosity=0)
    reseed_reference_data()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restores_into_an_empty_database(tmp_path):
    from tests.security.helpers import reseed_reference_data
    from yemai.accounts.models import User
    from yemai.core.crypto import lookup_hash
    from yemai.grids.models import GridNode
    from yemai.people.models import Resident
    from yemai.people.services import ID_PURPOSE

    reseed_reference_data()
    t = build_town()
    User.objects.filter(pk=t.dongmen1_member.pk).update(granted_tags=["社区矫正"])
    before = {
        "users": User.objects.count(),
        "nodes": GridNode.objects.count(),
        "residents": Resident.objects.count(),
    }
    id_number = t.resident_dongmen1.id_number
    file = tmp_path / "town.yemaibak"
    out = io.StringIO()
    call_command("backup", str(file), stdout=out, verbosity=0)
    assert "backup written" in out.getvalue()
    data = file.read_bytes()
    assert data.startswith(b"YEMAIBK1")
    # Encrypted: neither names nor ID numbers nor even the table names are readable.
    for secret in [id_number.encode(), "张三".encode(), b"accounts.user", b"330282001"]:
        assert secret not in data

    _flush()
    assert Resident.objects.count() == 0
    from yemai.people.models import Tag

    assert Tag.objects.exists()  # seeded by migrations, as in a new database
    call_command("restore", str(file), stdout=out, verbosity=0)
    assert "restored" in out.getvalue()
    assert {
        "users": User.objects.count(),
        "nodes": GridNode.objects.count(),
        "residents": Resident.objects.count(),
    } == before
    restored = Resident.objects.get(pk=t.resident_dongmen1.pk)
    assert restored.id_number == id_number and restored.name == "张三"
    member = User.objects.get(username="dongmen1_member")
    assert member.check_password("Yemai-test-2026") and member.granted_tags == ["社区矫正"]
    scope = User.objects.get(username="dongmen_head").scope
    assert restored.grid.path.startswith(scope.path)
    # The hashed lookup column still finds the resident by ID number without decrypting.
    found = Resident.objects.get(id_number_hash=lookup_hash(id_number, purpose=ID_PURPOSE))
    assert found == restored
    assert audit_verify().ok
    # New rows get fresh ids after the restore (sequences moved on).
    from tests.factories import make_user

    make_user("after_restore", "member", scope)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restore_refuses_a_database_with_data(tmp_path):
    from tests.security.helpers import reseed_reference_data

    reseed_reference_data()
    build_town()
    file = tmp_path / "b.yemaibak"
    call_command("backup", str(file), verbosity=0)
    with pytest.raises(CommandError, match="empty database"):
        call_command("restore", str(file), verbosity=0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_damaged_or_foreign_backup_is_refused_and_nothing_is_stored(tmp_path, settings):
    from tests.security.helpers import reseed_reference_data
    from yemai.grids.models import GridNode

    reseed_reference_data()
    build_town()
    file = tmp_path / "b.yemaibak"
    call_command("backup", str(file), verbosity=0)
    _flush()
    data = bytearray(file.read_bytes())
    damaged = tmp_path / "damaged.yemaibak"
    data[60] ^= 0x01
    damaged.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="does not decrypt"):
        call_command("restore", str(damaged), verbosity=0)
    cut = tmp_path / "cut.yemaibak"
    cut.write_bytes(file.read_bytes()[:-10])
    with pytest.raises(CommandError, match="cut off"):
        call_command("restore", str(cut), verbosity=0)
    settings.BACKUP_KEY = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzJieXRlcyE="
    with pytest.raises(CommandError, match="wrong key"):
        call_command("restore", str(file), verbosity=0)
    assert GridNode.objects.count() == 0
    plain = tmp_path / "plain.json"
    plain.write_text("[]")
    with pytest.raises(CommandError, match="not a Yemai backup"):
        call_command("restore", str(plain), verbosity=0)

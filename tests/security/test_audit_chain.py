"""The audit log: chained, append-only, verified by `yemai audit verify`, purged only when
old, exported by the audit administrator only."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from yemai.core.audit import audit_purge, audit_record, audit_verify
from yemai.core.models import AppendOnlyError, AuditChain, AuditEvent


def _write(n, user=None):
    return [
        audit_record(user=user, kind="export", object_type="people.residents", detail={"n": i})
        for i in range(n)
    ]


def _raw_update(pk, **values):
    """What an intruder with database rights does: bypass the app and its trigger."""
    sets = ", ".join(f"{k} = %s" for k in values)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_append_only")
        cursor.execute(f"UPDATE core_auditevent SET {sets} WHERE id = %s", [*values.values(), pk])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")


def _verify_command() -> tuple[bool, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err, verbosity=0)
    except CommandError as exc:
        return False, err.getvalue() + str(exc)
    return True, out.getvalue()


def test_an_intact_log_verifies(town):
    _write(5, town.auditor)
    ok, text = _verify_command()
    assert ok, text
    assert "intact" in text


def test_changing_one_record_is_detected_and_named(town):
    events = _write(5, town.auditor)
    victim = events[2]
    _raw_update(victim.pk, username="someone-else")
    ok, text = _verify_command()
    assert not ok
    assert f"record #{victim.pk}" in text and "changed" in text
    assert f"record #{events[3].pk}" not in text  # the next one's link still holds


def test_recomputing_the_hash_of_a_changed_record_breaks_the_next_link(town):
    from yemai.core.audit import record_hash

    events = _write(4, town.auditor)
    victim = AuditEvent.objects.get(pk=events[1].pk)
    victim.outcome = "ok-forged"
    _raw_update(victim.pk, outcome="ok-forged", hash=record_hash(victim))
    result = audit_verify()
    assert not result.ok
    assert any(f"record #{events[2].pk}" in p and "link" in p for p in result.problems)


def test_removing_a_record_is_detected(town):
    events = _write(4, town.auditor)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
    result = audit_verify()
    assert any(f"record #{events[2].pk}" in p for p in result.problems)


def test_removing_the_newest_record_is_detected(town):
    events = _write(3, town.auditor)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
    assert not audit_verify().ok


def test_the_application_cannot_change_or_delete_records(town):
    event = _write(1)[0]
    event.username = "x"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(username="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_an_update(town):
    event = _write(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET username = 'x' WHERE id = %s", [event.pk])


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_deleting_a_young_record(town):
    event = _write(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])


def _age(events, days):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_append_only")
        for event in events:
            cursor.execute(
                "UPDATE core_auditevent SET at = %s WHERE id = %s",
                [event.at - timedelta(days=days), event.pk],
            )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
    # Ageing changes the hashed time: rebuild the chain as if they had been written then.
    from yemai.core.audit import record_hash

    prev = AuditChain.objects.get(pk=1).anchor_hash
    rows = []
    for event in AuditEvent.objects.order_by("pk"):
        event.prev_hash = prev
        event.hash = record_hash(event)
        rows.append(event)
        prev = event.hash
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        cursor.execute("UPDATE core_auditevent SET prev_hash = 'tmp-' || id")
        for event in rows:
            cursor.execute(
                "UPDATE core_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [event.prev_hash, event.hash, event.pk],
            )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
    AuditChain.objects.filter(pk=1).update(last_hash=prev)


def test_purge_keeps_184_days_and_the_chain_still_verifies(town):
    with connection.cursor() as cursor:  # start from a clean chain for this test
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM core_auditevent")
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
    AuditChain.objects.update_or_create(pk=1, defaults={"last_hash": "0" * 64, "last_id": 0})
    old = _write(3)
    young = _write(2)
    _age(old, 200)
    _age(young[:1], 100)
    assert audit_verify().ok
    assert audit_purge() == 3
    assert set(AuditEvent.objects.values_list("pk", flat=True)) == {e.pk for e in young}
    result = audit_verify()
    assert result.ok, result.problems
    assert audit_purge() == 0  # nothing younger than 184 days goes


def test_search_and_export_belong_to_the_audit_administrator(town, client):
    from openpyxl import load_workbook

    from tests.factories import make_user
    from yemai.accounts.roles import Role

    audit_record(
        user=town.operator,
        kind="view_pii",
        object_type="people.resident",
        object_id="7",
        detail={"fields": ["=cmd|' /C calc'!A0"]},
    )
    sysadmin = make_user("sysadmin", Role.SYSTEM_ADMIN, town.town)
    secadmin = make_user("secadmin", Role.SECURITY_ADMIN, town.town)
    for user in [sysadmin, secadmin, town.operator, town.town_head]:
        client.force_login(user)
        assert client.get("/admin/core/auditevent/").status_code == 403, user
    client.force_login(town.auditor)
    found = client.get("/admin/core/auditevent/?q=operator")
    assert found.status_code == 200 and "view_pii" in found.content.decode().replace(
        "Whole personal data viewed", "view_pii"
    )
    ids = list(AuditEvent.objects.values_list("pk", flat=True))
    response = client.post(
        "/admin/core/auditevent/",
        {"action": "export_xlsx", "_selected_action": ids, "index": 0},
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "auditor" in sheet["A1"].value  # watermark: who exported
    assert "auditor" in sheet.oddHeader.right.text
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not any(c.startswith("=") for c in cells)
    assert AuditEvent.objects.filter(kind="export", object_type="core.auditevent").exists()


def test_audit_records_cannot_be_changed_in_the_admin(town, client):
    event = _write(1, town.auditor)[0]
    client.force_login(town.auditor)
    response = client.post(f"/admin/core/auditevent/{event.pk}/change/", {"username": "forged"})
    assert response.status_code in (403, 200)
    assert AuditEvent.objects.get(pk=event.pk).username == "auditor"
    assert (
        client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_keep_one_chain_on_postgresql():
    errors = []

    def writer(n):
        from django.db import connection as conn

        try:
            for i in range(15):
                audit_record(user=None, kind="export", detail={"thread": n, "i": i})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEvent.objects.count() == 90
    result = audit_verify()
    assert result.ok, result.problems

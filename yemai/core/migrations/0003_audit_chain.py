"""Audit log tamper evidence (hash chain), append-only triggers, rate-limit counters."""

import hashlib
import json
from datetime import UTC

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

GENESIS = "0" * 64


def chain_existing(apps, schema_editor):
    """Link the records written before the chain existed, oldest first."""
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditChain = apps.get_model("core", "AuditChain")
    prev = GENESIS
    last_id = 0
    for event in AuditEvent.objects.order_by("pk").iterator():
        content = json.dumps(
            [
                event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{event.at.astimezone(UTC).microsecond // 1000:03d}Z",
                event.user_id,
                event.username,
                event.ip,
                event.kind,
                event.object_type,
                event.object_id,
                event.detail,
                event.outcome,
                prev,
            ],
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=prev, hash=digest)
        prev, last_id = digest, event.pk
    AuditChain.objects.update_or_create(pk=1, defaults={"last_hash": prev, "last_id": last_id})


PG_TRIGGER = """
CREATE OR REPLACE FUNCTION yemai_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'the audit log is append-only: records cannot be changed';
    END IF;
    IF current_setting('yemai.audit_purge', true) IS DISTINCT FROM 'on'
       OR OLD.at > now() - interval '184 days' THEN
        RAISE EXCEPTION 'the audit log is append-only: only records older than 184 days may be purged';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION yemai_audit_append_only();
"""
PG_TRIGGER_DROP = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS yemai_audit_append_only();
"""
# SQLite: UPDATE only. Its test-suite flush and a purge both DELETE, and SQLite has no session
# setting to tell a purge from tampering; the hash chain and the chain head catch removals.
SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS core_auditevent_append_only BEFORE UPDATE ON core_auditevent
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: records cannot be changed'); END;
"""
SQLITE_TRIGGER_DROP = "DROP TRIGGER IF EXISTS core_auditevent_append_only;"


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    sql = {"postgresql": PG_TRIGGER, "sqlite": SQLITE_TRIGGER}.get(vendor)
    if sql:
        with schema_editor.connection.cursor() as cursor:
            if vendor == "sqlite":
                cursor.execute(sql)
            else:
                cursor.execute(sql)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    sql = {"postgresql": PG_TRIGGER_DROP, "sqlite": SQLITE_TRIGGER_DROP}.get(vendor)
    if sql:
        with schema_editor.connection.cursor() as cursor:
            for statement in sql.strip().split(";\n"):
                if statement.strip():
                    cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_task"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChain",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("last_hash", models.CharField(default=GENESIS, max_length=64)),
                ("last_id", models.BigIntegerField(default=0)),
                ("anchor_hash", models.CharField(default=GENESIS, max_length=64)),
                ("anchor_id", models.BigIntegerField(default=0)),
                ("purged", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "audit chain head",
                "verbose_name_plural": "audit chain head",
            },
        ),
        migrations.CreateModel(
            name="RateBucket",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=200, unique=True)),
                ("window_start", models.DateTimeField(db_index=True)),
                ("hits", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "rate limit counter",
                "verbose_name_plural": "rate limit counters",
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, verbose_name="time"
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="user",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        # The column stays (user_id); the model reads it as a plain id from now on.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="auditevent", name="user"),
                migrations.AddField(
                    model_name="auditevent",
                    name="user_id",
                    field=models.BigIntegerField(
                        blank=True, db_index=True, null=True, verbose_name="user id"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="previous hash"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                editable=False, max_length=64, unique=True, verbose_name="previous hash"
            ),
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]

"""Encrypt every stored place of a person: track points and check-ins.

The clear ``lon``, ``lat`` and ``accuracy_m`` columns become one encrypted ``position``
(``"lon,lat,accuracy"``, see ``duty.models.position_text``), rows converted in batches, then
the clear columns are dropped. Reversible: going back decrypts each position into the clear
columns again (they are added nullable, filled, then made required as before).

The database may still hold the old clear values in freed space (PostgreSQL keeps dead row
versions until ``VACUUM FULL``; SQLite free pages until ``VACUUM``), and so do backups made
before: docs/duty.md says what an operator does about them.
"""

from django.db import migrations, models

import yemai.core.fields

BATCH = 2000
MODELS = ("TrackPoint", "CheckIn")


def _text(lon, lat, accuracy):
    # The same format as duty.models.position_text (copied: a migration must not change when
    # the model code does).
    acc = "" if accuracy is None else repr(float(accuracy))
    return f"{float(lon)!r},{float(lat)!r},{acc}"


def _parse(text):
    lon, lat, acc = text.split(",")
    return float(lon), float(lat), (float(acc) if acc else None)


def _batches(queryset):
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def encrypt_positions(apps, schema_editor):
    """Each row's clear fix into its encrypted ``position`` (the field encrypts on save)."""
    for name in MODELS:
        model = apps.get_model("duty", name)
        rows_of = model._base_manager.only("pk", "lon", "lat", "accuracy_m")
        for rows in _batches(rows_of.filter(position="")):
            for row in rows:
                row.position = _text(row.lon, row.lat, row.accuracy_m)
            model._base_manager.bulk_update(rows, ["position"])


def decrypt_positions(apps, schema_editor):
    """Back: each encrypted ``position`` into the clear columns."""
    for name in MODELS:
        model = apps.get_model("duty", name)
        for rows in _batches(model._base_manager.only("pk", "position")):
            for row in rows:
                row.lon, row.lat, row.accuracy_m = _parse(row.position)
            model._base_manager.bulk_update(rows, ["lon", "lat", "accuracy_m"])


class Migration(migrations.Migration):
    dependencies = [
        ("duty", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="trackpoint",
            name="position",
            field=yemai.core.fields.EncryptedTextField(default="", verbose_name="location"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="checkin",
            name="position",
            field=yemai.core.fields.EncryptedTextField(default="", verbose_name="location"),
            preserve_default=False,
        ),
        # Nullable first, so that going back can add them to a table with rows, fill them,
        # and only then make them required again.
        migrations.AlterField(
            model_name="trackpoint",
            name="lon",
            field=models.FloatField(null=True, verbose_name="longitude"),
        ),
        migrations.AlterField(
            model_name="trackpoint",
            name="lat",
            field=models.FloatField(null=True, verbose_name="latitude"),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="lon",
            field=models.FloatField(null=True, verbose_name="longitude"),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="lat",
            field=models.FloatField(null=True, verbose_name="latitude"),
        ),
        migrations.RunPython(encrypt_positions, decrypt_positions, elidable=False),
        migrations.RemoveField(model_name="trackpoint", name="lon"),
        migrations.RemoveField(model_name="trackpoint", name="lat"),
        migrations.RemoveField(model_name="trackpoint", name="accuracy_m"),
        migrations.RemoveField(model_name="checkin", name="lon"),
        migrations.RemoveField(model_name="checkin", name="lat"),
        migrations.RemoveField(model_name="checkin", name="accuracy_m"),
    ]

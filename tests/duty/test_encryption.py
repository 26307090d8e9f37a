"""Whereabouts encrypted at rest: no coordinate of a track point or a check-in is in clear in the
database, while the API, the once-per-time rule, retention, erasure and key rotation work as
before; and the migration converts rows stored in clear."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from yemai.core import crypto, keys
from yemai.duty import retention
from yemai.duty.models import CheckIn, Patrol, TrackPoint, position_text

from .conftest import post_json, selfie

KEY_A = "test1:dGVzdC1rZXktMzItYnl0ZXMtbG9uZy10ZXN0LWtleSEhIQ=="  # tests/settings.py
KEY_B = "kB:" + base64.b64encode(b"B" * 32).decode()

# Awkward numbers on purpose: every digit must come back.
TRACK = [
    (121.2123456789012, 30.2098765432109, 7.25),
    (121.2123987654321, 30.2101234567891, None),  # a fix without accuracy
    (121.2124111111111, 30.2103333333333, 12.5),
]
CHECKIN = (121.2187654321098, 30.2176543210987, 9.75)


def numbers(fix) -> list[str]:
    """How a coordinate could be written in clear in a row (repr, and 6 decimals)."""
    return [s for v in fix if v is not None for s in (repr(v), f"{v:.6f}", f"{v:.4f}")]


def raw_rows(table: str) -> tuple[list[str], list[tuple]]:
    """Column names and rows of ``table`` read with a plain cursor (no model, no decryption)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return [c[0] for c in cursor.description], cursor.fetchall()


def upload_track(client, member, started=None):
    client.force_login(member)
    started = started or (timezone.now() - dt.timedelta(minutes=2)).replace(microsecond=0)
    patrol = post_json(client, "/api/duty/patrols", {}).json()
    body = {
        "points": [
            {
                "lon": lon,
                "lat": lat,
                "accuracy": acc,
                "recorded_at": (started + dt.timedelta(seconds=10 * i)).isoformat(),
            }
            for i, (lon, lat, acc) in enumerate(TRACK)
        ]
    }
    url = f"/api/duty/patrols/{patrol['id']}/points"
    response = post_json(client, url, body)
    assert response.status_code == 200, response.content
    return patrol["id"], url, body


def check_in(client, member):
    client.force_login(member)
    lon, lat, acc = CHECKIN
    response = client.post(
        "/api/duty/checkins",
        {"photo": io.BytesIO(selfie()), "lon": repr(lon), "lat": repr(lat), "accuracy": repr(acc)},
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def grant(client, t, user):
    client.force_login(t.security)
    body = {"user_id": user.pk, "reason": "考勤复核"}
    assert post_json(client, "/api/duty/grants", body).status_code == 201


@pytest.fixture
def keyring(settings):
    def use(spec: str):
        settings.ENCRYPTION_KEYS = spec
        crypto._keyring.cache_clear()

    yield use
    crypto._keyring.cache_clear()


def test_no_coordinate_is_stored_in_clear(duty_town, client):
    t = duty_town
    upload_track(client, t.dongmen1_member)
    check_in(client, t.dongmen1_member)

    columns, rows = raw_rows(TrackPoint._meta.db_table)
    assert sorted(columns) == ["id", "patrol_id", "position", "recorded_at"]
    assert len(rows) == 3
    for row in rows:
        text = " ".join(str(v) for v in row)
        assert not any(n in text for fix in TRACK for n in numbers(fix)), text
        assert crypto.is_encrypted(row[columns.index("position")])

    columns, rows = raw_rows(CheckIn._meta.db_table)
    assert not {"lon", "lat", "accuracy_m"} & set(columns)
    (row,) = rows
    text = " ".join(str(v) for v in row)
    assert not any(n in text for n in numbers(CHECKIN)), text
    assert crypto.is_encrypted(row[columns.index("position")])
    # Patrols hold no place at all (their length and point count are not whereabouts).
    columns, _rows = raw_rows(Patrol._meta.db_table)
    assert not {"lon", "lat", "position"} & set(columns)


def test_a_granted_viewer_gets_the_exact_coordinates(duty_town, client):
    t = duty_town
    patrol_id, _url, body = upload_track(client, t.dongmen1_member)
    checkin_id = check_in(client, t.dongmen1_member)
    grant(client, t, t.dongmen_head)

    client.force_login(t.dongmen_head)
    detail = client.get(f"/api/duty/patrols/{patrol_id}")
    assert detail.status_code == 200
    points = detail.json()["points"]
    assert [(p["lon"], p["lat"], p["accuracy"]) for p in points] == TRACK
    assert [parse_datetime(p["recorded_at"]) for p in points] == [
        parse_datetime(p["recorded_at"]) for p in body["points"]
    ]
    checkin = client.get(f"/api/duty/checkins/{checkin_id}").json()
    assert (checkin["lon"], checkin["lat"], checkin["accuracy"]) == CHECKIN
    listed = client.get(f"/api/duty/checkins?member={t.dongmen1_member.pk}").json()["items"]
    assert [(c["lon"], c["lat"], c["accuracy"]) for c in listed] == [CHECKIN]
    # The length is still measured over the decrypted fixes (two precise steps).
    assert detail.json()["length_m"] > 50


def test_a_batch_sent_twice_still_adds_nothing(duty_town, client):
    t = duty_town
    patrol_id, url, body = upload_track(client, t.dongmen1_member)
    ids = sorted(TrackPoint.objects.values_list("pk", flat=True))
    again = post_json(client, url, body).json()
    assert again["added"] == 0 and again["duplicates"] == len(TRACK)
    assert again["patrol"]["point_count"] == len(TRACK)
    assert sorted(TrackPoint.objects.values_list("pk", flat=True)) == ids
    # The same time with another place is the same point too: the first one stays.
    moved = {"points": [{**body["points"][0], "lon": 121.215}]}
    assert post_json(client, url, moved).json()["added"] == 0
    assert TrackPoint.objects.filter(patrol_id=patrol_id).first().lon == TRACK[0][0]
    # The database itself refuses a second row at the same time (ciphertexts always differ,
    # so the rule rests on the clear time and patrol).
    first = TrackPoint.objects.filter(patrol_id=patrol_id).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        TrackPoint.objects.create(
            patrol_id=patrol_id,
            position=position_text(*TRACK[0]),
            recorded_at=first.recorded_at,
        )


def test_retention_and_erasure_remove_the_encrypted_rows(duty_town, client, settings):
    t = duty_town
    settings.SENSITIVE_RETENTION_DAYS = 180
    old = timezone.now() - dt.timedelta(days=200)
    _patrol_id, _url, _body = upload_track(client, t.ximen1_member)
    Patrol.objects.filter(member=t.ximen1_member).update(started_at=old, ended_at=old)
    check_in(client, t.ximen1_member)
    CheckIn.objects.filter(member=t.ximen1_member).update(at=old)
    upload_track(client, t.dongmen1_member)
    check_in(client, t.dongmen1_member)

    counts = retention.sensitive_purge()
    assert counts["points"] == 3 and counts["patrols"] == 1 and counts["checkins"] == 1
    assert len(raw_rows(TrackPoint._meta.db_table)[1]) == 3
    assert len(raw_rows(CheckIn._meta.db_table)[1]) == 1

    client.force_login(t.security)
    erased = post_json(client, "/api/duty/erasures", {"username": "dongmen1_member"}).json()
    assert erased["points"] == 3 and erased["checkins"] == 1
    assert raw_rows(TrackPoint._meta.db_table)[1] == []
    assert raw_rows(CheckIn._meta.db_table)[1] == []


def test_key_rotation_re_encrypts_the_whereabouts(duty_town, client, keyring):
    t = duty_town
    patrol_id, _url, _body = upload_track(client, t.dongmen1_member)
    checkin_id = check_in(client, t.dongmen1_member)
    labels = {c.label: c for c in keys.encrypted_columns()}
    assert {"duty.trackpoint.position", "duty.checkin.position"} <= set(labels)

    def kids(label):
        column = labels[label]
        names, rows = raw_rows(column.model._meta.db_table)
        return {crypto.token_kid(r[names.index(column.field.column)]) for r in rows}

    assert kids("duty.trackpoint.position") == kids("duty.checkin.position") == {"test1"}
    keyring(f"{KEY_B},{KEY_A}")
    call_command("keys", "rotate", "--batch", "2", verbosity=0, stdout=io.StringIO())
    assert kids("duty.trackpoint.position") == kids("duty.checkin.position") == {"kB"}

    keyring(KEY_B)  # the old key is gone: the places still read, to the last digit
    client.force_login(t.dongmen1_member)
    points = client.get(f"/api/duty/patrols/{patrol_id}").json()["points"]
    assert [(p["lon"], p["lat"], p["accuracy"]) for p in points] == TRACK
    checkin = client.get(f"/api/duty/checkins/{checkin_id}").json()
    assert (checkin["lon"], checkin["lat"], checkin["accuracy"]) == CHECKIN


def test_a_position_copied_to_another_row_kind_does_not_decrypt(duty_town, client):
    t = duty_town
    upload_track(client, t.dongmen1_member)
    checkin_id = check_in(client, t.dongmen1_member)
    columns, rows = raw_rows(TrackPoint._meta.db_table)
    token = rows[0][columns.index("position")]
    # Written as a token, straight into the check-in's column: bound to the track point column.
    CheckIn.objects.filter(pk=checkin_id).update(position=token)
    with pytest.raises(crypto.DecryptionError):
        CheckIn.objects.get(pk=checkin_id)


# --- the migration from clear columns ------------------------------------------------------

BEFORE = [("duty", "0001_initial")]
AFTER = [("duty", "0002_encrypt_whereabouts")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_rows_stored_in_clear_and_reverses(transactional_db, town):
    t = town
    old = migrate(BEFORE)
    try:
        OldPatrol = old.get_model("duty", "Patrol")
        OldPoint = old.get_model("duty", "TrackPoint")
        OldCheckIn = old.get_model("duty", "CheckIn")
        now = timezone.now().replace(microsecond=0)
        patrol = OldPatrol.objects.create(
            member_id=t.dongmen1_member.pk, grid_id=t.dongmen1.pk, started_at=now
        )
        for i, (lon, lat, acc) in enumerate(TRACK):
            OldPoint.objects.create(
                patrol=patrol,
                lon=lon,
                lat=lat,
                accuracy_m=acc,
                recorded_at=now + dt.timedelta(seconds=i),
            )
        lon, lat, acc = CHECKIN
        checkin = OldCheckIn.objects.create(
            member_id=t.dongmen1_member.pk,
            grid_id=t.dongmen1.pk,
            at=now,
            lon=lon,
            lat=lat,
            accuracy_m=acc,
        )
        columns, rows = raw_rows("duty_trackpoint")
        assert "lon" in columns and rows[0][columns.index("lon")] == TRACK[0][0]

        migrate(AFTER)
        # Read through today's models: the same places, to the last digit.
        points = TrackPoint.objects.filter(patrol_id=patrol.pk).order_by("recorded_at")
        assert [(p.lon, p.lat, p.accuracy_m) for p in points] == TRACK
        assert CheckIn.objects.get(pk=checkin.pk).fix == CHECKIN
        for table, fixes in (("duty_trackpoint", TRACK), ("duty_checkin", [CHECKIN])):
            columns, rows = raw_rows(table)
            assert not {"lon", "lat", "accuracy_m"} & set(columns)
            for row in rows:
                assert crypto.is_encrypted(row[columns.index("position")])
                text = " ".join(str(v) for v in row)
                assert not any(n in text for fix in fixes for n in numbers(fix))

        # Back again: the clear columns come back with the same values.
        old = migrate(BEFORE)
        OldPoint = old.get_model("duty", "TrackPoint")
        back = OldPoint.objects.filter(patrol_id=patrol.pk).order_by("recorded_at")
        assert [(p.lon, p.lat, p.accuracy_m) for p in back] == TRACK
        back_checkin = old.get_model("duty", "CheckIn").objects.get(pk=checkin.pk)
        assert (back_checkin.lon, back_checkin.lat, back_checkin.accuracy_m) == CHECKIN
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

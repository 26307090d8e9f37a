"""Cameras, zones, alarms and leases through the services (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from yemai.people.place_services import organisation_create
from yemai.vision import selectors, services
from yemai.vision.models import Alarm, Camera, VisionWorker

from .conftest import ZONE

JPEG = b"\xff\xd8\xff\xe0fake"


def raise_alarm(camera, track="t1", now=None):
    zone = camera.zones.get()
    return services.alarm_raise(
        camera_id=camera.pk,
        zone_id=zone.pk,
        track_uid=track,
        label="object",
        score=0.9,
        box=[1, 2, 3, 4],
        dwell_s=20,
        snapshot=JPEG,
        first_frame=JPEG,
        last_frame=JPEG,
        now=now,
    )


def test_it_locates_a_new_camera_in_its_micro_grid(cameras):
    assert cameras.cam_d1.grid == cameras.dongmen1
    assert cameras.cam_x1.grid == cameras.ximen1


def test_a_member_may_not_register_cameras(town):
    with pytest.raises(PermissionDenied):
        services.camera_create(
            user=town.dongmen1_member, code="C9", name="x", lon=121.205, lat=30.205
        )


def test_a_village_scoped_admin_cannot_place_a_camera_in_the_other_village(town):
    from django.http import Http404

    from tests.factories import make_user
    from yemai.accounts.roles import Role

    admin = make_user("dongmen_sysadmin", Role.SYSTEM_ADMIN, town.dongmen)
    with pytest.raises(ValidationError) as err:
        services.camera_create(user=admin, code="C9", name="x", lon=121.23, lat=30.21)
    assert "lon" in err.value.message_dict
    with pytest.raises(Http404):
        services.camera_create(
            user=admin, code="C9", name="x", lon=121.23, lat=30.21, grid_code=town.ximen1.code
        )
    assert not Camera.objects.filter(code="C9").exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"polygon": [[0, 0], [10, 0]]}, "polygon"),
        ({"polygon": [[0, 0], [10, 0], [500, 10]]}, "polygon"),
        ({"polygon": [[0, 0], [10, 10], [20, 20]]}, "polygon"),
        ({"kind": "teleport"}, "kind"),
        ({"dwell_s": 999999}, "dwell_s"),
        ({"active_from": dt.time(8)}, "active_to"),
        ({"kind": "shop_frontage"}, "organisation"),
        ({"kind": "custom"}, "category"),
    ],
)
def test_a_bad_zone_is_refused_naming_the_field(cameras, change, field):
    with pytest.raises(ValidationError) as err:
        services.zone_create(user=cameras.operator, camera=cameras.cam_d1, **{**ZONE, **change})
    assert field in err.value.message_dict
    assert cameras.cam_d1.zones.count() == 1


def test_a_shop_frontage_zone_names_its_shop_and_reports_0202(cameras):
    shop = organisation_create(name="好运来超市", kind="shop", lon=121.2031, lat=30.2031)
    zone = services.zone_create(
        user=cameras.operator,
        camera=cameras.cam_d1,
        **{**ZONE, "kind": "shop_frontage", "organisation_id": shop.pk},
    )
    assert zone.organisation == shop
    assert services.zone_category(zone) == "0202"


def test_repeats_at_the_same_camera_and_zone_make_one_alarm(cameras):
    now = timezone.now()
    first, created = raise_alarm(cameras.cam_d1, "a", now)
    again, created_again = raise_alarm(cameras.cam_d1, "b", now + dt.timedelta(seconds=60))
    assert created and not created_again
    assert again.pk == first.pk and again.repeats == 1
    # After the cooldown (600 s) it is a new alarm.
    later, created_later = raise_alarm(cameras.cam_d1, "c", now + dt.timedelta(seconds=1000))
    assert created_later and later.pk != first.pk
    assert Camera.objects.get(pk=cameras.cam_d1.pk).last_alarm_at is not None


def test_a_zone_with_review_waits_for_an_operator(cameras):
    cameras.cam_d1.zones.update(review_required=True)
    alarm, _ = raise_alarm(cameras.cam_d1)
    assert alarm.state == "review"
    assert selectors.alarms_to_dispatch(camera_ids=[cameras.cam_d1.pk]) == []
    with pytest.raises(PermissionDenied):
        services.alarm_review(user=cameras.dongmen1_member, alarm=alarm, approve=True)
    services.alarm_review(user=cameras.operator, alarm=alarm, approve=True)
    assert [a.pk for a in selectors.alarms_to_dispatch(camera_ids=[cameras.cam_d1.pk])] == [
        alarm.pk
    ]
    with pytest.raises(ValidationError):
        services.alarm_review(user=cameras.operator, alarm=alarm, approve=False)


def test_a_rejected_alarm_raises_no_case(cameras):
    cameras.cam_d1.zones.update(review_required=True)
    alarm, _ = raise_alarm(cameras.cam_d1)
    services.alarm_review(user=cameras.operator, alarm=alarm, approve=False)
    assert Alarm.objects.get(pk=alarm.pk).state == "rejected"
    assert selectors.alarms_to_dispatch(camera_ids=[cameras.cam_d1.pk]) == []


def beat(name, now):
    services.worker_heartbeat(
        name=name, host="h", pid=1, detector="stationary", cameras=0, fps=0, now=now
    )


def test_leases_share_cameras_and_a_dead_workers_cameras_are_taken_over(town):
    for i in range(4):
        services.camera_create(
            user=town.operator,
            code=f"L{i}",
            name=f"L{i}",
            lon=121.205,
            lat=30.205,
            stream_url=f"rtsp://cam/{i}",
        )
    now = timezone.now()
    beat("a", now)
    a = services.camera_leases_sync(worker="a", lease_s=30, now=now)
    assert len(a) == 4
    # A second worker arrives: a gives back half at its next sync, b takes them.
    beat("b", now + dt.timedelta(seconds=5))
    b = services.camera_leases_sync(worker="b", lease_s=30, now=now + dt.timedelta(seconds=5))
    assert b == []  # nothing free yet
    a = services.camera_leases_sync(worker="a", lease_s=30, now=now + dt.timedelta(seconds=6))
    b = services.camera_leases_sync(worker="b", lease_s=30, now=now + dt.timedelta(seconds=7))
    assert len(a) == 2 and len(b) == 2 and not set(a) & set(b)
    # a dies (no heartbeat, no renewal): once its leases lapse, b takes everything.
    later = now + dt.timedelta(seconds=40)
    beat("b", later)
    b = services.camera_leases_sync(worker="b", lease_s=30, now=later)
    assert len(b) == 4
    assert set(Camera.objects.values_list("lease_owner", flat=True)) == {"b"}


def test_a_lease_is_claimed_by_exactly_one_of_two_racing_workers(town):
    services.camera_create(
        user=town.operator, code="R1", name="R1", lon=121.205, lat=30.205, stream_url="rtsp://cam/r"
    )
    now = timezone.now()
    a = services.camera_leases_sync(worker="a", lease_s=30, now=now)
    b = services.camera_leases_sync(worker="b", lease_s=30, now=now)
    assert len(a) + len(b) == 1


def test_a_worker_that_stops_hands_its_cameras_back(town):
    services.camera_create(
        user=town.operator, code="S1", name="S1", lon=121.205, lat=30.205, stream_url="rtsp://cam/s"
    )
    beat("a", timezone.now())
    services.camera_leases_sync(worker="a", lease_s=30)
    services.worker_stop(name="a")
    assert Camera.objects.get(code="S1").lease_owner == ""
    assert VisionWorker.objects.get(name="a").stopped


def test_the_map_list_shows_status_in_scope_only(cameras):
    now = timezone.now()
    Camera.objects.filter(pk=cameras.cam_d1.pk).update(status="online", last_frame_at=now, fps=0.2)
    rows = selectors.camera_map_list(user=cameras.dongmen_head)
    assert [r["code"] for r in rows] == ["CAM-D1"]
    row = rows[0]
    assert set(row) == {
        "id",
        "code",
        "name",
        "lon",
        "lat",
        "grid_code",
        "enabled",
        "status",
        "fps",
        "last_frame_at",
        "last_alarm_at",
    }
    assert row["status"] == "online" and row["last_frame_at"] == now.isoformat()
    # A camera whose worker went silent is offline, whatever it last said.
    Camera.objects.filter(pk=cameras.cam_d1.pk).update(last_frame_at=now - dt.timedelta(hours=1))
    assert selectors.camera_map_list(user=cameras.dongmen_head)[0]["status"] == "offline"
    Camera.objects.filter(pk=cameras.cam_d1.pk).update(enabled=False)
    assert selectors.camera_map_list(user=cameras.dongmen_head)[0]["status"] == "disabled"
    assert {r["code"] for r in selectors.camera_map_list(user=cameras.town_head)} == {
        "CAM-D1",
        "CAM-X1",
    }

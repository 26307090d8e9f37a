"""The vision API, each route three ways: no permission, allowed, outside the scope (404)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from yemai.vision import services
from yemai.vision.models import Alarm, Camera, Zone

from .conftest import ZONE
from .test_services import raise_alarm

J = {"content_type": "application/json"}


def test_cameras_list_only_the_scope(cameras, client):
    client.force_login(cameras.dongmen_head)
    codes = [c["code"] for c in client.get("/api/vision/cameras").json()]
    assert codes == ["CAM-D1"]
    client.force_login(cameras.operator)
    assert len(client.get("/api/vision/cameras").json()) == 2


def test_a_camera_outside_the_scope_is_404(cameras, client):
    client.force_login(cameras.dongmen_head)
    x1 = cameras.cam_x1.pk
    for url in (
        f"/api/vision/cameras/{x1}",
        f"/api/vision/cameras/{x1}/zones",
        f"/api/vision/cameras/{x1}/snapshot",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.patch(f"/api/vision/cameras/{x1}", json.dumps({"name": "x"}), **J).status_code == 404
    )
    assert Camera.objects.get(pk=x1).name != "x"


def test_an_operator_registers_a_camera_and_a_member_may_not(town, client):
    body = {
        "code": "NEW1",
        "name": "新点位",
        "lon": 121.205,
        "lat": 30.205,
        "stream_url": "rtsp://10.0.0.5/live",
        "sample_fps": 0.2,
    }
    client.force_login(town.dongmen1_member)
    assert client.post("/api/vision/cameras", json.dumps(body), **J).status_code == 403
    client.force_login(town.operator)
    response = client.post("/api/vision/cameras", json.dumps(body), **J)
    assert response.status_code == 201
    assert response.json()["grid_code"] == town.dongmen1.code
    assert response.json()["status"] == "unknown"
    bad = client.post(
        "/api/vision/cameras", json.dumps({**body, "code": "NEW2", "stream_url": "ftp://x"}), **J
    )
    assert bad.status_code == 400 and "stream_url" in bad.json()["errors"]
    assert not Camera.objects.filter(code="NEW2").exists()


def test_zones_are_drawn_changed_and_deleted_through_the_api(cameras, client):
    client.force_login(cameras.operator)
    url = f"/api/vision/cameras/{cameras.cam_d1.pk}/zones"
    body = {**ZONE, "name": "门口", "labels": ["ebike", "bicycle"], "review_required": True}
    created = client.post(url, json.dumps(body), **J)
    assert created.status_code == 201
    zone = created.json()
    assert zone["category"] == "0201" and zone["labels"] == ["bicycle", "ebike"]
    changed = client.put(
        f"/api/vision/zones/{zone['id']}", json.dumps({**body, "dwell_s": 900}), **J
    )
    assert changed.status_code == 200 and changed.json()["dwell_s"] == 900
    bad = client.put(
        f"/api/vision/zones/{zone['id']}", json.dumps({**body, "polygon": [[0, 0]]}), **J
    )
    assert bad.status_code == 400 and "polygon" in bad.json()["errors"]
    assert client.delete(f"/api/vision/zones/{zone['id']}").status_code == 204
    assert not Zone.objects.filter(pk=zone["id"]).exists()


def test_a_member_sees_zones_but_may_not_draw(cameras, client):
    client.force_login(cameras.dongmen1_member)
    url = f"/api/vision/cameras/{cameras.cam_d1.pk}/zones"
    assert len(client.get(url).json()) == 1
    assert client.post(url, json.dumps(ZONE), **J).status_code == 403
    zone = cameras.cam_d1.zones.get()
    assert client.delete(f"/api/vision/zones/{zone.pk}").status_code == 403


def test_the_review_queue_three_ways(cameras, client):
    Zone.objects.update(review_required=True)
    mine, _ = raise_alarm(cameras.cam_d1)
    theirs, _ = raise_alarm(cameras.cam_x1)
    client.force_login(cameras.dongmen1_member)
    ok = json.dumps({"approve": True})
    assert client.post(f"/api/vision/alarms/{mine.pk}/review", ok, **J).status_code == 403
    client.force_login(cameras.dongmen_head)
    assert client.post(f"/api/vision/alarms/{theirs.pk}/review", ok, **J).status_code == 404
    assert [a["id"] for a in client.get("/api/vision/alarms").json()] == [mine.pk]
    response = client.post(f"/api/vision/alarms/{mine.pk}/review", ok, **J)
    assert response.status_code == 200 and response.json()["state"] == "dispatching"
    assert client.post(f"/api/vision/alarms/{mine.pk}/review", ok, **J).status_code == 400
    assert Alarm.objects.get(pk=theirs.pk).state == "review"


def test_alarm_pictures_are_served_in_scope_only(cameras, client):
    alarm, _ = raise_alarm(cameras.cam_x1)
    client.force_login(cameras.dongmen_head)
    assert client.get(f"/api/vision/alarms/{alarm.pk}/pictures/snapshot").status_code == 404
    client.force_login(cameras.ximen_head)
    response = client.get(f"/api/vision/alarms/{alarm.pk}/pictures/snapshot")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert client.get(f"/api/vision/alarms/{alarm.pk}/pictures/other").status_code == 404


def test_the_snapshot_is_read_from_the_stream_when_there_is_none(cameras, client, tmp_path):
    from yemai.vision.synth import Scene, write_video

    path = write_video(Scene(width=160, height=120, duration=1, fps=2), tmp_path / "v.mp4")
    Camera.objects.filter(pk=cameras.cam_d1.pk).update(stream_url=str(path))
    client.force_login(cameras.operator)
    response = client.get(f"/api/vision/cameras/{cameras.cam_d1.pk}/snapshot")
    assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"
    camera = Camera.objects.get(pk=cameras.cam_d1.pk)
    assert (camera.snapshot_width, camera.snapshot_height) == (160, 120)
    # A stream that gives nothing is a 400 that says so, not a 500.
    Camera.objects.filter(pk=cameras.cam_x1.pk).update(stream_url=str(tmp_path / "none.mp4"))
    bad = client.get(f"/api/vision/cameras/{cameras.cam_x1.pk}/snapshot")
    assert bad.status_code == 400 and "stream_url" in bad.json()["errors"]


def test_camera_import_is_all_or_nothing(town, client):
    good = (
        "编号,名称,经度,纬度,视频流地址,采样频率\n"
        "I1,东门一号,121.205,30.205,rtsp://10.0.0.1/a,0.2\n"
        "I2,东门二号,121.206,30.215,rtsp://10.0.0.2/a,1\n"
    )
    bad = good + "I3,西门,121.23,30.21,rtsp://x/a,1\nI4,坏,abc,30.2,,1\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(town.dongmen_head)
    response = client.post(
        "/api/vision/cameras/import", {"file": SimpleUploadedFile("c.csv", good.encode())}
    )
    assert response.status_code == 403
    from tests.factories import make_user
    from yemai.accounts.roles import Role

    client.force_login(make_user("dsys", Role.SYSTEM_ADMIN, town.dongmen))
    response = client.post(
        "/api/vision/cameras/import", {"file": SimpleUploadedFile("c.csv", bad.encode())}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 2 and errors[0].startswith("row 4") and errors[1].startswith("row 5")
    assert not Camera.objects.filter(code__startswith="I").exists()
    response = client.post(
        "/api/vision/cameras/import", {"file": SimpleUploadedFile("c.csv", good.encode())}
    )
    assert response.json() == {"created": 2, "updated": 0, "errors": []}
    assert Camera.objects.get(code="I1").sample_fps == 0.2


def test_workers_are_listed_for_the_centre_only(town, client):
    services.worker_heartbeat(
        name="w1", host="h", pid=5, detector="stationary", cameras=3, fps=0.6, now=timezone.now()
    )
    client.force_login(town.dongmen1_member)
    assert client.get("/api/vision/workers").status_code == 403
    client.force_login(town.operator)
    (row,) = client.get("/api/vision/workers").json()
    assert row["name"] == "w1" and row["state"] == "alive" and row["cameras"] == 3


@pytest.mark.parametrize(
    "url",
    ["/api/vision/cameras", "/api/vision/alarms", "/api/vision/workers", "/api/vision/cameras/map"],
)
def test_anonymous_callers_get_401(db, client, url):
    assert client.get(url).status_code == 401

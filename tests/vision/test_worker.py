"""The worker end to end: a video file as the camera, the real API (live server) raising the
case with its evidence pictures; idempotent; a killed worker replaced with no second case."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from yemai.accounts.tokens import token_create
from yemai.vision import services
from yemai.vision.client import CaseApi
from yemai.vision.detectors import StationaryDetector
from yemai.vision.models import Alarm, Camera
from yemai.vision.synth import Mover, Scene, street_scene, write_video
from yemai.vision.worker import VisionWorker

from .conftest import ZONE


def case_rows():
    from yemai.cases.selectors import case_list

    return case_list


@pytest.fixture
def video(tmp_path):
    return write_video(street_scene(), tmp_path / "street.mp4")


def setup_camera(town, url, **zone):
    camera = services.camera_create(
        user=town.operator,
        code="CAM-W",
        name="东门路口",
        lon=121.203,
        lat=30.203,
        stream_url=str(url),
        sample_fps=2.0,
    )
    services.zone_create(user=town.operator, camera=camera, **{**ZONE, **zone})
    return camera


def cases_of(user):
    from yemai.cases.selectors import case_list

    return list(case_list(user=user, source="camera"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_raises_one_case_with_evidence_on_the_members_list(town, live_server, video):
    camera = setup_camera(town, video)
    _row, token = token_create(user=town.operator, name="vision worker")
    api = CaseApi(live_server.url, token)
    worker = VisionWorker(
        detector=StationaryDetector(), api=api, name="w-test", realtime=False, loop_files=False
    )
    worker.run(max_seconds=60, until_idle=True)

    (alarm,) = Alarm.objects.all()
    assert alarm.state == "sent" and alarm.case_number
    (case,) = cases_of(town.operator)
    assert case.number == alarm.case_number
    assert case.category.code == "0201" and case.grid == town.dongmen1
    assert "东门路口" in case.description
    assert sorted(p.kind for p in case.photos.all()) == ["evidence"] * 3
    # Dispatched at once to the member on duty: on their phone page's "to accept" list.
    from yemai.cases.selectors import case_my_lists

    mine = case_my_lists(user=town.dongmen1_member)
    assert [c.number for c in mine["to_accept"]] == [case.number]
    camera.refresh_from_db()
    assert camera.last_alarm_at is not None and camera.snapshot_at is not None
    assert camera.lease_owner == ""  # handed back when the worker stopped

    # Sending the same alarm again (a retry) answers the same case: no second one.
    again = worker.dispatch(Alarm.objects.select_related("camera", "zone").get())
    assert again["number"] == case.number
    assert len(cases_of(town.operator)) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_zone_with_review_raises_the_case_only_after_approval(town, live_server, video):
    setup_camera(town, video, review_required=True)
    _row, token = token_create(user=town.operator, name="vision worker")
    worker = VisionWorker(
        detector=StationaryDetector(),
        api=CaseApi(live_server.url, token),
        name="w-review",
        realtime=False,
        loop_files=False,
    )
    worker.run(max_seconds=60, until_idle=True)
    (alarm,) = Alarm.objects.all()
    assert alarm.state == "review" and cases_of(town.operator) == []
    services.alarm_review(user=town.operator, alarm=alarm, approve=True)
    worker.runs = {alarm.camera_id: None}  # the worker holds the camera again
    assert worker.dispatch_pending() == 1
    assert Alarm.objects.get().state == "sent"
    assert len(cases_of(town.operator)) == 1


def short_scene() -> Scene:
    """24 s: an object appears at 4 s and stays to the end (after the warm-up, so a worker
    that starts the file again sees it arrive)."""
    scene = street_scene()
    scene.duration = 24
    scene.movers = [
        Mover("parked", (34, 40), (30, 160, 30), [(4, 60, 215), (24, 60, 215)]),
        Mover("car", (60, 34), (40, 40, 200), [(1, -40, 120), (9, 360, 120)]),
    ]
    return scene


def start_worker(name, env):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "yemai.cli",
            "vision",
            "run",
            "--name",
            name,
            "--lease",
            "3",
            "--heartbeat",
            "1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(check, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "sqlite").startswith("sqlite"),
    reason="the worker subprocess needs the test database too: an in-memory SQLite database "
    "cannot be shared with another process (this test runs on PostgreSQL)",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_worker_is_replaced_with_no_second_case(town, live_server, tmp_path):
    path = write_video(short_scene(), tmp_path / "short.mp4")
    camera = setup_camera(town, path, dwell_s=4)
    _row, token = token_create(user=town.operator, name="vision worker")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "YEMAI_API_URL": live_server.url,
        "YEMAI_API_TOKEN": token,
    }
    first = start_worker("first", env)
    try:
        assert wait_for(lambda: Alarm.objects.exists(), 40), first.stdout.read1().decode()
        first.send_signal(signal.SIGKILL)  # no clean stop: its lease must lapse
        first.wait(5)
        second = start_worker("second", env)
        try:
            # The second worker takes the camera over once the lease lapses, sees the object
            # stand past its dwell again and counts it on the same alarm.
            assert wait_for(lambda: Camera.objects.get(pk=camera.pk).lease_owner == "second", 20)
            assert wait_for(lambda: Alarm.objects.get().repeats >= 1, 40)
            assert wait_for(lambda: Alarm.objects.get().state == "sent", 20)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert Alarm.objects.count() == 1
    assert len(cases_of(town.operator)) == 1

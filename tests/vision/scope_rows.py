"""The vision API's rows for ``tests/test_scope_attacks.py``: a 东门 user aims at 西门1's
camera (CAM2 of ``full_town``), its zone and its alarm."""

from __future__ import annotations

import json


def vision_attack_rows(t):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from yemai.vision.models import Alarm, Camera, Zone

    camera = Camera.objects.get(code="CAM2")
    zone, _ = Zone.objects.get_or_create(
        camera=camera,
        name="西门村门前",
        defaults={
            "kind": "no_parking",
            "polygon": [[0, 0], [50, 0], [50, 50]],
            "image_width": 320,
            "image_height": 240,
        },
    )
    from django.utils import timezone

    alarm, _ = Alarm.objects.get_or_create(
        camera=camera,
        zone=zone,
        track_uid="probe",
        defaults={
            "label": "object",
            "state": "review",
            "first_at": timezone.now(),
            "last_at": timezone.now(),
            "snapshot": b"\xff\xd8",
            "first_frame": b"",
            "last_frame": b"",
        },
    )
    j = {"content_type": "application/json"}
    zone_body = {
        "name": "入侵",
        "kind": "no_parking",
        "polygon": [[0, 0], [9, 0], [9, 9]],
        "image_width": 320,
        "image_height": 240,
    }
    cam = f"/api/vision/cameras/{camera.pk}"
    ximen_csv = "code,name,lon,lat\nINTRUDER,入侵,121.23,30.21\n".encode()
    return {
        "GET /api/vision/cameras": ("get", "/api/vision/cameras", {}, "list"),
        "GET /api/vision/cameras/map": ("get", "/api/vision/cameras/map", {}, "list"),
        "POST /api/vision/cameras": (
            "post",
            "/api/vision/cameras",
            {
                "data": json.dumps(
                    {
                        "code": "INTRUDER",
                        "name": "入侵",
                        "lon": 121.23,
                        "lat": 30.21,
                        "grid": t.ximen1.code,
                    }
                ),
                **j,
            },
            "write",
        ),
        "POST /api/vision/cameras/import": (
            "post",
            "/api/vision/cameras/import",
            {"data": {"file": SimpleUploadedFile("c.csv", ximen_csv)}},
            "write",
        ),
        "GET /api/vision/cameras/{camera_id}": ("get", cam, {}, "detail"),
        "PATCH /api/vision/cameras/{camera_id}": (
            "patch",
            cam,
            {"data": json.dumps({"name": "入侵"}), **j},
            "detail",
        ),
        "GET /api/vision/cameras/{camera_id}/snapshot": ("get", f"{cam}/snapshot", {}, "detail"),
        "GET /api/vision/cameras/{camera_id}/zones": ("get", f"{cam}/zones", {}, "detail"),
        "POST /api/vision/cameras/{camera_id}/zones": (
            "post",
            f"{cam}/zones",
            {"data": json.dumps(zone_body), **j},
            "detail",
        ),
        "PUT /api/vision/zones/{zone_id}": (
            "put",
            f"/api/vision/zones/{zone.pk}",
            {"data": json.dumps(zone_body), **j},
            "detail",
        ),
        "DELETE /api/vision/zones/{zone_id}": (
            "delete",
            f"/api/vision/zones/{zone.pk}",
            {},
            "detail",
        ),
        "GET /api/vision/alarms": ("get", "/api/vision/alarms", {}, "list"),
        "POST /api/vision/alarms/{alarm_id}/review": (
            "post",
            f"/api/vision/alarms/{alarm.pk}/review",
            {"data": json.dumps({"approve": True}), **j},
            "detail",
        ),
        "GET /api/vision/alarms/{alarm_id}/pictures/{which}": (
            "get",
            f"/api/vision/alarms/{alarm.pk}/pictures/snapshot",
            {},
            "detail",
        ),
        "GET /api/vision/workers": ("get", "/api/vision/workers", {}, "list"),
    }

"""The duty API's rows for ``tests/test_scope_attacks.py``: a 东门 user aims at 西门1's member's
patrol and check-in. 东门's village head even holds the whereabouts grant, so the probe tests
the scope, not only the grant."""

from __future__ import annotations

import json


def duty_attack_rows(t):
    import io

    from PIL import Image

    from yemai.duty.models import SensitiveGrant
    from yemai.duty.services import checkin_create, patrol_start

    SensitiveGrant.objects.get_or_create(user=t.dongmen_head, defaults={"reason": "probe"})
    patrol, _ = patrol_start(user=t.ximen1_member)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (90, 90, 90)).save(buffer, format="PNG")
    checkin, _ = checkin_create(
        user=t.ximen1_member, lon=121.23, lat=30.21, photo=buffer.getvalue(), client_key="probe"
    )
    j = {"content_type": "application/json"}
    member = t.ximen1_member.pk
    points = {"points": [{"lon": 121.23, "lat": 30.21, "recorded_at": "2026-01-01T00:00:00Z"}]}
    base = "/api/duty"
    return {
        "GET /api/duty/patrols": ("get", f"{base}/patrols?member={member}", {}, "list"),
        "POST /api/duty/patrols": (
            "post", f"{base}/patrols", {"data": json.dumps({"client_key": "x" * 99}), **j}, "write",
        ),
        "GET /api/duty/patrols/current": ("get", f"{base}/patrols/current", {}, "list"),
        "GET /api/duty/patrols/{patrol_id}": ("get", f"{base}/patrols/{patrol.pk}", {}, "detail"),
        "POST /api/duty/patrols/{patrol_id}/points": (
            "post", f"{base}/patrols/{patrol.pk}/points", {"data": json.dumps(points), **j}, "write",
        ),
        "POST /api/duty/patrols/{patrol_id}/end": (
            "post", f"{base}/patrols/{patrol.pk}/end", {}, "write",
        ),
        "GET /api/duty/checkins": ("get", f"{base}/checkins?member={member}", {}, "list"),
        "GET /api/duty/checkins/pending": ("get", f"{base}/checkins/pending", {}, "list"),
        "POST /api/duty/checkins": ("post", f"{base}/checkins", {"data": {"lon": "x"}}, "write"),
        "GET /api/duty/checkins/{checkin_id}": (
            "get", f"{base}/checkins/{checkin.pk}", {}, "detail",
        ),
        "GET /api/duty/checkins/{checkin_id}/photo": (
            "get", f"{base}/checkins/{checkin.pk}/photo", {}, "detail",
        ),
        "POST /api/duty/checkins/{checkin_id}/review": (
            "post", f"{base}/checkins/{checkin.pk}/review",
            {"data": json.dumps({"outcome": "rejected"}), **j}, "write",
        ),
        "GET /api/duty/grants": ("get", f"{base}/grants", {}, "list"),
        "POST /api/duty/grants": (
            "post", f"{base}/grants",
            {"data": json.dumps({"user_id": member, "reason": "probe"}), **j}, "write",
        ),
        "DELETE /api/duty/grants/{user_id}": (
            "delete", f"{base}/grants/{t.dongmen_head.pk}", {}, "write",
        ),
        "POST /api/duty/erasures": (
            "post", f"{base}/erasures",
            {"data": json.dumps({"username": t.ximen1_member.username}), **j}, "write",
        ),
    }  # fmt: skip

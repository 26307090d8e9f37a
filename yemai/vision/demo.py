"""Demo rows of the vision domain: a no-parking zone on the pavement of some demo cameras,
with every third one asking for human review (人工审核). The streams of demo cameras are
made-up addresses: they are registered disabled, so a worker started on the demo watches only
the cameras you add. For a camera that really plays, see
docs/vision.md ("Your first camera case in five minutes")."""

from __future__ import annotations

from .models import Camera, Zone

ZONED_CAMERAS = 40
WIDTH, HEIGHT = 1280, 720


def demo_populate(*, plan, loaded, seed: int, progress: bool) -> dict[str, int]:
    cameras = list(Camera.objects.order_by("code")[:ZONED_CAMERAS])
    zones = [
        Zone(
            camera=camera,
            name="人行道禁停区",
            kind="no_parking",
            polygon=[[40, 470], [1240, 470], [1240, 700], [40, 700]],
            image_width=WIDTH,
            image_height=HEIGHT,
            labels=[],
            dwell_s=600,
            cooldown_s=3600,
            review_required=i % 3 == 0,
        )
        for i, camera in enumerate(cameras)
    ]
    Zone.objects.bulk_create(zones)
    return {"camera zones": len(zones)}

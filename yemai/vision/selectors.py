"""Every read of the vision domain. People's reads are ``restrict(user)``-ed; the worker's
reads (its leased cameras, the alarms it must still send) are by id, it has no user."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from yemai.core.scoping import get_scoped_or_404

from .choices import AlarmState, CameraStatus
from .models import Alarm, Camera, VisionWorker, Zone

# A camera whose worker has not reported a frame for this long shows as offline.
STALE_AFTER = dt.timedelta(minutes=2)


def camera_list(*, user, q: str = "", grid: str = "", status: str = "") -> QuerySet[Camera]:
    cameras = (
        Camera.objects.restrict(user)
        .select_related("grid")
        .annotate(zone_count=Count("zones"))
        .defer("snapshot")
    )
    if q:
        cameras = cameras.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if grid:
        cameras = cameras.filter(grid__code__startswith=grid)
    if status:
        cameras = cameras.filter(status=status)
    return cameras.order_by("code")


def camera_get(*, user, pk: int) -> Camera:
    return get_scoped_or_404(Camera.objects.select_related("grid"), user, pk=pk)


def camera_status(camera: Camera, now: dt.datetime | None = None) -> str:
    """online / offline / disabled / unknown, as the map shows it: a camera whose worker
    went silent is offline, whatever it last reported."""
    if not camera.enabled:
        return CameraStatus.DISABLED
    if camera.status == CameraStatus.ONLINE:
        now = now or timezone.now()
        if camera.last_frame_at is None or now - camera.last_frame_at > STALE_AFTER:
            return CameraStatus.OFFLINE
    return camera.status


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def camera_map_list(*, user) -> list[dict]:
    """The cameras for the command-centre map, in the user's scope."""
    now = timezone.now()
    rows = []
    for c in (
        Camera.objects.restrict(user).select_related("grid").defer("snapshot").order_by("code")
    ):
        rows.append(
            {
                "id": c.pk,
                "code": c.code,
                "name": c.name,
                "lon": c.lon,
                "lat": c.lat,
                "grid_code": c.grid.code,
                "enabled": c.enabled,
                "status": str(camera_status(c, now)),
                "fps": c.fps,
                "last_frame_at": _iso(c.last_frame_at),
                "last_alarm_at": _iso(c.last_alarm_at),
            }
        )
    return rows


def zone_list(*, user, camera: Camera) -> QuerySet[Zone]:
    return Zone.objects.restrict(user).filter(camera=camera).select_related("organisation")


def zone_get(*, user, pk: int) -> Zone:
    return get_scoped_or_404(Zone.objects.select_related("camera"), user, pk=pk)


def alarm_list(*, user, state: str = "", camera: int | None = None) -> QuerySet[Alarm]:
    alarms = (
        Alarm.objects.restrict(user)
        .select_related("camera", "zone", "camera__grid")
        .defer("snapshot", "first_frame", "last_frame")
    )
    if state:
        alarms = alarms.filter(state__in=state.split(","))
    if camera:
        alarms = alarms.filter(camera_id=camera)
    return alarms


def alarm_review_queue(*, user) -> QuerySet[Alarm]:
    return alarm_list(user=user, state=AlarmState.REVIEW).order_by("first_at", "id")


def alarm_get(*, user, pk: int) -> Alarm:
    return get_scoped_or_404(Alarm.objects.select_related("camera", "zone"), user, pk=pk)


def worker_list(*, stale_s: float = 60.0) -> list[dict]:
    """Workers with their health: alive (a heartbeat within ``stale_s``), stopped, or lost."""
    now = timezone.now()
    rows = []
    for w in VisionWorker.objects.all():
        alive = not w.stopped and (now - w.heartbeat_at).total_seconds() <= stale_s
        rows.append(
            {
                "name": w.name,
                "host": w.host,
                "pid": w.pid,
                "detector": w.detector,
                "started_at": w.started_at,
                "heartbeat_at": w.heartbeat_at,
                "cameras": w.cameras if alive else 0,
                "fps": w.fps if alive else 0.0,
                "state": "stopped" if w.stopped else ("alive" if alive else "lost"),
            }
        )
    return rows


# --- the worker's reads ----------------------------------------------------------------------


def worker_cameras(*, ids: list[int]) -> list[Camera]:
    """The cameras a worker holds, with their enabled zones (and each zone's shop)."""
    from django.db.models import Prefetch  # noqa: PLC0415

    return list(
        Camera.objects.filter(pk__in=ids)
        .defer("snapshot")
        .prefetch_related(
            Prefetch(
                "zones",
                queryset=Zone.objects.filter(enabled=True).select_related("organisation"),
                to_attr="active_zones",
            )
        )
        .order_by("id")
    )


def worker_camera_signatures(*, ids: list[int]) -> dict[int, tuple]:
    """Per camera, what its reader and rules depend on (stream, rate, zones): a camera whose
    signature changed is restarted, the others keep their trackers."""
    signatures: dict[int, list] = {
        pk: [url, rate]
        for pk, url, rate in Camera.objects.filter(pk__in=ids).values_list(
            "id", "stream_url", "sample_fps"
        )
    }
    for camera_id, zone_id, updated, enabled in (
        Zone.objects.filter(camera_id__in=ids)
        .order_by("id")
        .values_list("camera_id", "id", "updated_at", "enabled")
    ):
        if camera_id in signatures:
            signatures[camera_id].append((zone_id, updated, enabled))
    return {pk: tuple(sig) for pk, sig in signatures.items()}


def alarms_to_dispatch(*, camera_ids: list[int]) -> list[Alarm]:
    """Alarms of these cameras whose case is still to be raised (new, approved, or left
    unsent by a worker that died), oldest first."""
    return list(
        Alarm.objects.filter(camera_id__in=camera_ids, state=AlarmState.DISPATCHING)
        .select_related("camera", "zone", "zone__organisation")
        .order_by("first_at", "id")[:50]
    )

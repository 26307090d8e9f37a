"""Every write of the vision domain: cameras, zones, alarms, leases and worker health.

Cameras and zones are written by people (scope and role checked here); alarms, leases and
status by the ``yemai vision`` worker, which has no user: it owns what its leases give it.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.accounts.roles import Role
from yemai.grids import selectors as grid_selectors

from .choices import ZONE_CATEGORY, AlarmState, CameraStatus, ZoneKind
from .models import Alarm, Camera, VisionWorker, Zone

MANAGE_ROLES = {Role.TOWN_HEAD, Role.CENTRE_OPERATOR, Role.SYSTEM_ADMIN}
REVIEW_ROLES = {Role.TOWN_HEAD, Role.CENTRE_OPERATOR, Role.VILLAGE_HEAD}
STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "file://", "rtmp://", "/")
MAX_POLYGON_POINTS = 64
MAX_DWELL_S = 24 * 3600


def may_manage(user) -> bool:
    return bool(user.is_active and (user.role in MANAGE_ROLES or user.is_unrestricted))


def may_review(user) -> bool:
    return bool(user.is_active and (user.role in REVIEW_ROLES or user.is_unrestricted))


def _check_manage(user) -> None:
    if user is not None and not may_manage(user):
        raise PermissionDenied(_("Your role may not manage cameras"))


# --- cameras ---------------------------------------------------------------------------------


def _camera_grid(user, *, lon: float, lat: float, grid_code: str = ""):
    """The micro-grid of the camera's point (located), or the one named; in the user's scope."""
    hit = grid_selectors.grid_locate(user=user, lon=lon, lat=lat)
    if grid_code:
        grid = grid_selectors.grid_node_get(user=user, code=grid_code)
        if hit is not None and hit.grid_id != grid.pk:
            raise ValidationError(
                {
                    "grid": [
                        _("The point lies in micro-grid %(found)s, not %(given)s")
                        % {"found": hit.code, "given": grid.code}
                    ]
                }
            )
        return grid
    if hit is None:
        raise ValidationError(
            {"lon": [_("The point lies outside every micro-grid in your scope: give the grid")]}
        )
    return grid_selectors.grid_node_by_id(pk=hit.grid_id)


def _clean_stream(url: str) -> str:
    url = (url or "").strip()
    if url and not url.lower().startswith(STREAM_SCHEMES):
        raise ValidationError(
            {"stream_url": [_("Give an rtsp://, http(s):// or file:// address, or a file path")]}
        )
    return url


def _check_rate(value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or not 0.001 <= value <= 30:
        raise ValidationError(
            {"sample_fps": [_("Between 0.001 and 30 samples per second (0.2 = one every 5 s)")]}
        )
    return value


@transaction.atomic
def camera_create(
    *,
    user,
    code: str,
    name: str,
    lon: float,
    lat: float,
    stream_url: str = "",
    sample_fps: float = 1.0,
    enabled: bool = True,
    location: str = "",
    grid_code: str = "",
) -> Camera:
    _check_manage(user)
    code = (code or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,40}", code):
        raise ValidationError({"code": [_("Letters, digits, . _ - only; at most 40")]})
    if Camera.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("A camera with this code exists")]})
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError({"lon": [_("Not a longitude/latitude")]})
    grid = _camera_grid(user, lon=lon, lat=lat, grid_code=grid_code)
    camera = Camera(
        grid=grid,
        code=code,
        name=(name or "").strip(),
        lon=lon,
        lat=lat,
        location=(location or "").strip(),
        stream_url=_clean_stream(stream_url),
        sample_fps=_check_rate(sample_fps),
        enabled=enabled,
        status=CameraStatus.UNKNOWN if enabled else CameraStatus.DISABLED,
    )
    camera.full_clean()
    camera.save()
    return camera


@transaction.atomic
def camera_update(*, user, camera: Camera, **changes) -> Camera:
    _check_manage(user)
    allowed = {"name", "location", "stream_url", "sample_fps", "enabled"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: [_("This field cannot be changed here")]})
    if "stream_url" in changes:
        changes["stream_url"] = _clean_stream(changes["stream_url"])
    if "sample_fps" in changes:
        changes["sample_fps"] = _check_rate(changes["sample_fps"])
    for key, value in changes.items():
        setattr(camera, key, value)
    if "enabled" in changes:
        camera.status = CameraStatus.UNKNOWN if camera.enabled else CameraStatus.DISABLED
    camera.full_clean()
    camera.save()
    return camera


def camera_snapshot_save(*, camera_id: int, jpeg: bytes, width: int, height: int) -> None:
    Camera.objects.filter(pk=camera_id).update(
        snapshot=jpeg, snapshot_width=width, snapshot_height=height, snapshot_at=timezone.now()
    )


# --- zones -----------------------------------------------------------------------------------


def _clean_polygon(polygon, width: int, height: int) -> list[list[float]]:
    if not isinstance(polygon, list) or not 3 <= len(polygon) <= MAX_POLYGON_POINTS:
        raise ValidationError(
            {"polygon": [_("Between 3 and %(n)s points") % {"n": MAX_POLYGON_POINTS}]}
        )
    points = []
    for point in polygon:
        try:
            x, y = float(point[0]), float(point[1])
        except (TypeError, ValueError, IndexError, KeyError):
            raise ValidationError({"polygon": [_("Each point is [x, y]")]}) from None
        if not (0 <= x <= width and 0 <= y <= height):
            raise ValidationError({"polygon": [_("A point lies outside the picture")]})
        points.append([round(x, 1), round(y, 1)])
    area = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        area += x1 * y2 - x2 * y1
    if abs(area) < 1:
        raise ValidationError({"polygon": [_("The polygon has no area")]})
    return points


def _zone_fields(user, camera: Camera, fields: dict) -> dict:
    kind = fields.get("kind")
    if kind not in ZoneKind.values:
        raise ValidationError({"kind": [_("Unknown zone kind")]})
    width, height = int(fields.get("image_width") or 0), int(fields.get("image_height") or 0)
    if not (16 <= width <= 10000 and 16 <= height <= 10000):
        raise ValidationError({"image_width": [_("Give the size of the picture drawn on")]})
    fields["polygon"] = _clean_polygon(fields.get("polygon"), width, height)
    labels = fields.get("labels") or []
    if not isinstance(labels, list) or not all(
        isinstance(x, str) and 0 < len(x) <= 40 for x in labels
    ):
        raise ValidationError({"labels": [_("A list of class names")]})
    fields["labels"] = sorted(set(labels))
    for name in ("dwell_s", "cooldown_s"):
        value = int(fields.get(name, 0))
        if not 0 <= value <= MAX_DWELL_S:
            raise ValidationError({name: [_("Between 0 and 86400 seconds")]})
    if (fields.get("active_from") is None) != (fields.get("active_to") is None):
        raise ValidationError({"active_to": [_("Give both ends of the active hours, or none")]})
    org_id = fields.pop("organisation_id", None)
    fields["organisation"] = None
    if org_id:
        from yemai.people import selectors as people_selectors  # noqa: PLC0415

        org = people_selectors.organisation_list(user=user).filter(pk=org_id).first()
        if org is None:
            raise ValidationError({"organisation": [_("No such shop in your scope")]})
        fields["organisation"] = org
    if kind == ZoneKind.SHOP_FRONTAGE and fields["organisation"] is None:
        raise ValidationError({"organisation": [_("A shop-frontage zone names its shop")]})
    category = (fields.get("category") or "").strip()
    if kind == ZoneKind.CUSTOM and not category:
        raise ValidationError({"category": [_("A custom zone names the case subcategory")]})
    if category:
        from yemai.cases.services import category_get_leaf  # noqa: PLC0415

        category_get_leaf(code=category)  # a 400 naming the category when it is unknown
    fields["category"] = category
    return fields


@transaction.atomic
def zone_create(*, user, camera: Camera, **fields) -> Zone:
    _check_manage(user)
    zone = Zone(camera=camera, **_zone_fields(user, camera, fields))
    zone.full_clean()
    zone.save()
    return zone


@transaction.atomic
def zone_update(*, user, zone: Zone, **fields) -> Zone:
    _check_manage(user)
    for key, value in _zone_fields(user, zone.camera, fields).items():
        setattr(zone, key, value)
    zone.full_clean()
    zone.save()
    return zone


@transaction.atomic
def zone_delete(*, user, zone: Zone) -> None:
    _check_manage(user)
    zone.delete()


def zone_category(zone: Zone) -> str:
    return zone.category or ZONE_CATEGORY.get(zone.kind, "")


# --- alarms (written by the worker) ----------------------------------------------------------


@transaction.atomic
def alarm_raise(
    *,
    camera_id: int,
    zone_id: int,
    track_uid: str,
    label: str,
    score: float,
    box: list[float],
    dwell_s: float,
    snapshot: bytes,
    first_frame: bytes,
    last_frame: bytes,
    worker: str = "",
    now: dt.datetime | None = None,
) -> tuple[Alarm, bool]:
    """An object stood past its dwell → (alarm, created). A repeat at the same camera and zone
    within the zone's cooldown (another object, or the same one seen again by a worker that
    took the camera over) is counted on the alarm already there: one place, one case."""
    now = now or timezone.now()
    zone = Zone.objects.select_for_update().get(pk=zone_id)
    window = dt.timedelta(seconds=max(zone.cooldown_s, 1))
    recent = (
        Alarm.objects.filter(camera_id=camera_id, zone_id=zone_id, last_at__gte=now - window)
        .order_by("-last_at", "-id")
        .first()
    )
    if recent is None:
        recent = Alarm.objects.filter(
            camera_id=camera_id, zone_id=zone_id, track_uid=track_uid
        ).first()
    Camera.objects.filter(pk=camera_id).update(last_alarm_at=now)
    if recent is not None:
        Alarm.objects.filter(pk=recent.pk).update(repeats=recent.repeats + 1, last_at=now)
        recent.refresh_from_db()
        return recent, False
    alarm = Alarm(
        camera_id=camera_id,
        zone=zone,
        track_uid=track_uid[:40],
        label=label[:40],
        score=round(float(score), 3),
        box=[round(float(v), 1) for v in box],
        dwell_s=round(float(dwell_s), 1),
        state=AlarmState.REVIEW if zone.review_required else AlarmState.DISPATCHING,
        first_at=now,
        last_at=now,
        worker=worker[:100],
        snapshot=snapshot,
        first_frame=first_frame,
        last_frame=last_frame,
    )
    alarm.save()
    return alarm, True


def alarm_mark_sent(*, alarm_id: int, case_id: int, case_number: str) -> None:
    Alarm.objects.filter(pk=alarm_id, state=AlarmState.DISPATCHING).update(
        state=AlarmState.SENT, case_id=case_id, case_number=case_number[:24], error=""
    )


def alarm_mark_failed(*, alarm_id: int, error: str) -> None:
    Alarm.objects.filter(pk=alarm_id).update(error=error[:300])


@transaction.atomic
def alarm_review(*, user, alarm: Alarm, approve: bool) -> Alarm:
    """人工审核: approve (the worker raises the case next) or reject (no case)."""
    if not may_review(user):
        raise PermissionDenied(_("Your role may not review camera alarms"))
    changed = Alarm.objects.filter(pk=alarm.pk, state=AlarmState.REVIEW).update(
        state=AlarmState.DISPATCHING if approve else AlarmState.REJECTED,
        reviewed_by=user,
        reviewed_at=timezone.now(),
    )
    if not changed:
        raise ValidationError({"state": [_("This alarm is not waiting for review")]})
    alarm.refresh_from_db()
    return alarm


# --- workers and leases ----------------------------------------------------------------------


def worker_heartbeat(
    *,
    name: str,
    host: str,
    pid: int,
    detector: str,
    cameras: int,
    fps: float,
    now: dt.datetime | None = None,
) -> None:
    now = now or timezone.now()
    updated = VisionWorker.objects.filter(name=name).update(
        host=host[:100],
        pid=pid,
        detector=detector[:200],
        heartbeat_at=now,
        cameras=cameras,
        fps=round(fps, 2),
        stopped=False,
    )
    if not updated:
        try:
            with transaction.atomic():
                VisionWorker.objects.create(
                    name=name,
                    host=host[:100],
                    pid=pid,
                    detector=detector[:200],
                    started_at=now,
                    heartbeat_at=now,
                    cameras=cameras,
                    fps=round(fps, 2),
                )
        except IntegrityError:
            pass  # created meanwhile by this same worker's previous beat


def worker_stop(*, name: str) -> None:
    """A worker that stops cleanly hands its cameras back at once (no wait for the lease)."""
    Camera.objects.filter(lease_owner=name).update(lease_owner="", lease_until=None)
    VisionWorker.objects.filter(name=name).update(stopped=True, cameras=0, fps=0)


def _watchable():
    return Camera.objects.filter(enabled=True).exclude(stream_url="")


def camera_leases_sync(*, worker: str, lease_s: float, now: dt.datetime | None = None) -> list[int]:
    """Renew this worker's leases, give back what is above its fair share, claim what is
    free or lapsed up to it → the ids of the cameras it now reads.

    The share is the watchable cameras divided among the workers with a recent heartbeat, so
    a new worker's arrival makes the others give some back, and a dead worker's cameras are
    claimed once their leases lapse (within ``lease_s``). Each claim is a conditional UPDATE:
    of two workers racing for a camera exactly one changes the row.
    """
    now = now or timezone.now()
    until = now + dt.timedelta(seconds=lease_s)
    live = (
        VisionWorker.objects.filter(
            heartbeat_at__gte=now - dt.timedelta(seconds=lease_s), stopped=False
        )
        .exclude(name=worker)
        .count()
        + 1
    )
    total = _watchable().count()
    share = math.ceil(total / live) if total else 0
    # Cameras disabled or without a stream since: let go.
    Camera.objects.filter(lease_owner=worker).exclude(pk__in=_watchable().values("pk")).update(
        lease_owner="", lease_until=None
    )
    Camera.objects.filter(lease_owner=worker).update(lease_until=until)
    mine = list(
        Camera.objects.filter(lease_owner=worker).order_by("id").values_list("id", flat=True)
    )
    if len(mine) > share:
        extra = mine[share:]
        Camera.objects.filter(pk__in=extra, lease_owner=worker).update(
            lease_owner="", lease_until=None
        )
        mine = mine[:share]
    elif len(mine) < share:
        free = Q(lease_owner="") | Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        candidates = list(
            _watchable().filter(free).order_by("id").values_list("id", flat=True)[: share * 2]
        )
        for pk in candidates:
            if len(mine) >= share:
                break
            claimed = (
                Camera.objects.filter(pk=pk)
                .filter(free)
                .update(lease_owner=worker, lease_until=until)
            )
            if claimed:
                mine.append(pk)
    return sorted(mine)


def camera_status_report(
    *,
    camera_id: int,
    worker: str,
    online: bool,
    fps: float,
    last_frame_at: dt.datetime | None,
    detail: str = "",
) -> None:
    """The worker's report on one of its cameras (only while it holds the lease)."""
    fields = {
        "status": CameraStatus.ONLINE if online else CameraStatus.OFFLINE,
        "fps": round(fps, 2),
        "status_detail": detail[:200],
    }
    if last_frame_at is not None:
        fields["last_frame_at"] = last_frame_at
    Camera.objects.filter(pk=camera_id, lease_owner=worker).update(**fields)

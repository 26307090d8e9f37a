"""The vision API (/api/vision): cameras, zones, alarms, review, workers.

Cameras, zones and alarms answer within the caller's scope (404 outside it); writes need a
role that manages cameras (town head, centre operator, system administrator); reviewing an
alarm (人工审核) needs the centre, a town head or a village head.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from yemai.core.schemas import Message

from . import selectors, services
from .importers import camera_import
from .schemas import (
    AlarmOut,
    CameraImportOut,
    CameraIn,
    CameraMapOut,
    CameraOut,
    CameraPatch,
    WorkerOut,
    ZoneIn,
    ZoneOut,
)

router = Router(tags=["vision"])
MAX_IMPORT_BYTES = 10 * 1024 * 1024


def camera_out(c) -> dict:
    return {
        "id": c.pk,
        "code": c.code,
        "name": c.name,
        "location": c.location,
        "lon": c.lon,
        "lat": c.lat,
        "grid_code": c.grid.code,
        "stream_url": c.stream_url,
        "sample_fps": c.sample_fps,
        "enabled": c.enabled,
        "status": str(selectors.camera_status(c)),
        "status_detail": c.status_detail,
        "fps": c.fps,
        "worker": c.lease_owner,
        "last_frame_at": c.last_frame_at,
        "last_alarm_at": c.last_alarm_at,
        "snapshot_at": c.snapshot_at,
    }


def zone_out(z) -> dict:
    return {
        "id": z.pk,
        "camera": z.camera_id,
        "name": z.name,
        "kind": z.kind,
        "polygon": z.polygon,
        "image_width": z.image_width,
        "image_height": z.image_height,
        "labels": z.labels or [],
        "dwell_s": z.dwell_s,
        "cooldown_s": z.cooldown_s,
        "min_size": z.min_size,
        "active_from": z.active_from,
        "active_to": z.active_to,
        "category": services.zone_category(z),
        "organisation": z.organisation_id,
        "organisation_name": z.organisation.name if z.organisation_id else "",
        "review_required": z.review_required,
        "enabled": z.enabled,
    }


def alarm_out(a) -> dict:
    base = f"/api/vision/alarms/{a.pk}/pictures"
    return {
        "id": a.pk,
        "camera": a.camera.code,
        "camera_name": a.camera.name,
        "zone": a.zone_id,
        "zone_name": a.zone.name,
        "label": a.label,
        "score": a.score,
        "box": a.box,
        "dwell_s": a.dwell_s,
        "state": a.state,
        "repeats": a.repeats,
        "first_at": a.first_at,
        "last_at": a.last_at,
        "case_id": a.case_id,
        "case_number": a.case_number,
        "snapshot_url": f"{base}/snapshot",
        "first_url": f"{base}/first",
        "last_url": f"{base}/last",
    }


def _jpeg(data) -> HttpResponse:
    response = HttpResponse(bytes(data), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- cameras ---------------------------------------------------------------------------------


@router.get("/cameras", response=list[CameraOut], summary="Cameras in your scope")
def camera_list(request, q: str = "", grid: str = "", status: str = ""):
    return [
        camera_out(c)
        for c in selectors.camera_list(
            user=request.user, q=q[:40], grid=grid[:20], status=status[:10]
        )
    ]


@router.get("/cameras/map", response=list[CameraMapOut], summary="Cameras for the map")
def camera_map(request):
    return selectors.camera_map_list(user=request.user)


@router.post("/cameras", response={201: CameraOut}, summary="Register a camera")
def camera_create(request, payload: CameraIn):
    camera = services.camera_create(
        user=request.user,
        code=payload.code,
        name=payload.name,
        lon=payload.lon,
        lat=payload.lat,
        grid_code=payload.grid,
        location=payload.location,
        stream_url=payload.stream_url,
        sample_fps=payload.sample_fps,
        enabled=payload.enabled,
    )
    return Status(201, camera_out(selectors.camera_get(user=request.user, pk=camera.pk)))


@router.post(
    "/cameras/import",
    response={200: CameraImportOut, 400: CameraImportOut | Message},
    summary="Import cameras",
)
def camera_import_file(request, file: File[UploadedFile]):
    """xlsx or CSV. All rows or none: with any bad row nothing is stored, and the answer (400)
    lists every bad row."""
    if file.size > MAX_IMPORT_BYTES:
        raise ValidationError({"file": [_("At most 10 MB")]})
    result = camera_import(user=request.user, data=file.read())
    body = {
        "created": result.created,
        "updated": result.updated,
        "errors": [str(e) for e in result.errors],
    }
    return Status(400 if result.errors else 200, body)


@router.get("/cameras/{camera_id}", response=CameraOut, summary="One camera")
def camera_detail(request, camera_id: int):
    return camera_out(selectors.camera_get(user=request.user, pk=camera_id))


@router.patch("/cameras/{camera_id}", response=CameraOut, summary="Change a camera")
def camera_update(request, camera_id: int, payload: CameraPatch):
    camera = selectors.camera_get(user=request.user, pk=camera_id)
    changes = {k: v for k, v in payload.dict().items() if v is not None}
    services.camera_update(user=request.user, camera=camera, **changes)
    return camera_out(selectors.camera_get(user=request.user, pk=camera_id))


@router.get("/cameras/{camera_id}/snapshot", summary="A picture from the camera (JPEG)")
def camera_snapshot(request, camera_id: int, fresh: bool = False):
    """The worker's last picture; with ``fresh`` (or when there is none yet) one frame is
    read from the stream now — the zone editor draws on it."""
    camera = selectors.camera_get(user=request.user, pk=camera_id)
    data = camera.snapshot
    if fresh or not data:
        if not services.may_manage(request.user):
            raise PermissionDenied(_("Your role may not manage cameras"))
        if not camera.stream_url:
            raise ValidationError({"stream_url": [_("The camera has no stream address")]})
        from .pipeline import jpeg
        from .streams import grab_frame

        try:
            image = grab_frame(camera.stream_url)
        except Exception as exc:  # noqa: BLE001 — any stream error is the same answer
            raise ValidationError(
                {"stream_url": [_("No picture from the stream: %(why)s") % {"why": str(exc)[:120]}]}
            ) from None
        data = jpeg(image)
        h, w = image.shape[:2]
        services.camera_snapshot_save(camera_id=camera.pk, jpeg=data, width=w, height=h)
    return _jpeg(data)


# --- zones -----------------------------------------------------------------------------------


def _zone_fields(payload: ZoneIn) -> dict:
    fields = payload.dict()
    fields["organisation_id"] = fields.pop("organisation")
    return fields


@router.get("/cameras/{camera_id}/zones", response=list[ZoneOut], summary="A camera's zones")
def zone_list(request, camera_id: int):
    camera = selectors.camera_get(user=request.user, pk=camera_id)
    return [zone_out(z) for z in selectors.zone_list(user=request.user, camera=camera)]


@router.post("/cameras/{camera_id}/zones", response={201: ZoneOut}, summary="Draw a zone")
def zone_create(request, camera_id: int, payload: ZoneIn):
    camera = selectors.camera_get(user=request.user, pk=camera_id)
    zone = services.zone_create(user=request.user, camera=camera, **_zone_fields(payload))
    return Status(201, zone_out(zone))


@router.put("/zones/{zone_id}", response=ZoneOut, summary="Change a zone")
def zone_update(request, zone_id: int, payload: ZoneIn):
    zone = selectors.zone_get(user=request.user, pk=zone_id)
    zone = services.zone_update(user=request.user, zone=zone, **_zone_fields(payload))
    return zone_out(zone)


@router.delete("/zones/{zone_id}", response={204: None}, summary="Delete a zone")
def zone_delete(request, zone_id: int):
    zone = selectors.zone_get(user=request.user, pk=zone_id)
    services.zone_delete(user=request.user, zone=zone)
    return Status(204, None)


# --- alarms ----------------------------------------------------------------------------------


@router.get("/alarms", response=list[AlarmOut], summary="Alarms, newest first")
def alarm_list(request, state: str = "", camera: int | None = None):
    return [
        alarm_out(a)
        for a in selectors.alarm_list(user=request.user, state=state[:40], camera=camera)[:200]
    ]


class AlarmReviewIn(Schema):
    approve: bool


@router.post("/alarms/{alarm_id}/review", response=AlarmOut, summary="Approve or reject")
def alarm_review(request, alarm_id: int, payload: AlarmReviewIn):
    """人工审核: approved, the worker raises the case; rejected, none is raised."""
    alarm = selectors.alarm_get(user=request.user, pk=alarm_id)
    return alarm_out(services.alarm_review(user=request.user, alarm=alarm, approve=payload.approve))


@router.get("/alarms/{alarm_id}/pictures/{which}", summary="An alarm's picture (JPEG)")
def alarm_picture(request, alarm_id: int, which: str):
    """``snapshot`` (box and zone drawn), ``first`` or ``last`` frame."""
    alarm = selectors.alarm_get(user=request.user, pk=alarm_id)
    field = {"snapshot": "snapshot", "first": "first_frame", "last": "last_frame"}.get(which)
    if field is None:
        raise Http404
    return _jpeg(getattr(alarm, field))


# --- workers ---------------------------------------------------------------------------------


@router.get("/workers", response=list[WorkerOut], summary="Vision workers and their health")
def worker_list(request):
    if not (services.may_manage(request.user) or services.may_review(request.user)):
        raise PermissionDenied(_("Your role may not see the vision workers"))
    return selectors.worker_list()

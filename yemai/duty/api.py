"""The field duty API (/api/duty): patrol tracks, face check-ins, the whereabouts grant and
erasure. Thin handlers over selectors and services.

A member always sees their own patrols and check-ins. Anyone else's need a
``SensitiveGrant`` (403 without one) and must lie in the caller's scope (404 outside it);
each such view is audited. Only the security administrator grants, revokes and erases.
"""

import datetime as dt

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from yemai.core.audit import audit_record

from . import selectors, services
from .schemas import (
    CheckInOut,
    ErasedOut,
    EraseIn,
    GrantIn,
    GrantOut,
    PatrolDetailOut,
    PatrolOut,
    PatrolStartIn,
    PointsAddedOut,
    PointsIn,
    ReviewIn,
)

router = Router(tags=["duty"])


def _patrol_out(patrol) -> dict:
    return {
        "id": patrol.pk,
        "member_id": patrol.member_id,
        "member": str(patrol.member),
        "grid": patrol.grid.code,
        "started_at": patrol.started_at,
        "ended_at": patrol.ended_at,
        "length_m": round(patrol.length_m, 1),
        "point_count": patrol.point_count,
        "is_open": patrol.is_open,
    }


def _checkin_out(checkin) -> dict:
    return {
        "id": checkin.pk,
        "member_id": checkin.member_id,
        "member": str(checkin.member),
        "grid": checkin.grid.code,
        "at": checkin.at,
        "lon": checkin.lon,
        "lat": checkin.lat,
        "accuracy": checkin.accuracy_m,
        "has_photo": checkin.has_photo,
        "photo_url": f"/api/duty/checkins/{checkin.pk}/photo" if checkin.has_photo else None,
        "review": checkin.review,
        "reviewed_at": checkin.reviewed_at,
        "review_note": checkin.review_note,
    }


def _audit_list(request, member: int | None, what: str) -> None:
    if member is not None and member != request.user.pk:
        audit_record(
            user=request.user,
            kind="view_pii",
            object_type="accounts.user",
            object_id=str(member),
            detail={"what": what, "member": member},
        )


# --- patrols ---------------------------------------------------------------------------------


@router.get("/patrols", response=list[PatrolOut], summary="My patrols, or a member's (grant)")
@paginate(PageNumberPagination, page_size=50)
def patrol_list(request, member: int | None = None):
    """Without ``member``: your own. With another member's user id: needs the whereabouts
    grant, only inside your scope, audited."""
    patrols = selectors.patrol_list(user=request.user, member_id=member)
    _audit_list(request, member, "patrol_list")
    return [_patrol_out(p) for p in patrols]


@router.post("/patrols", response={200: PatrolOut, 201: PatrolOut}, summary="Start a patrol")
def patrol_start(request, payload: PatrolStartIn):
    """Starts a patrol in your grid. If one is open already, that one comes back (200), and
    so does the patrol started earlier with the same ``client_key``. ``started_at``: when the
    phone started it, for a start sent later from its offline queue (at most 24 hours)."""
    patrol, created = services.patrol_start(
        user=request.user, client_key=payload.client_key, started_at=payload.started_at
    )
    return Status(201 if created else 200, _patrol_out(patrol))


@router.get("/patrols/current", response=PatrolOut, summary="My open patrol (404 if none)")
def patrol_current(request):
    from django.http import Http404

    patrol = selectors.patrol_open_get(user=request.user)
    if patrol is None:
        raise Http404
    return _patrol_out(patrol)


@router.get("/patrols/{patrol_id}", response=PatrolDetailOut, summary="A patrol with its track")
def patrol_detail(request, patrol_id: int):
    """Your own patrol, or (with the grant, in your scope) a member's: that view is audited."""
    patrol = selectors.patrol_get(user=request.user, pk=patrol_id)
    points = [
        {"lon": p.lon, "lat": p.lat, "accuracy": p.accuracy_m, "recorded_at": p.recorded_at}
        for p in selectors.track_points(patrol=patrol)
    ]
    services.sensitive_view_record(user=request.user, obj=patrol, what="patrol_track")
    return {**_patrol_out(patrol), "points": points}


@router.post(
    "/patrols/{patrol_id}/points", response=PointsAddedOut, summary="Add a batch of GPS points"
)
def patrol_points(request, patrol_id: int, payload: PointsIn):
    """Points of your own open patrol, at most 1000 a batch. Sending a batch again adds
    nothing (a point whose ``recorded_at`` the patrol holds is skipped); one bad point refuses
    the whole batch."""
    points = [
        services.PointIn(lon=p.lon, lat=p.lat, recorded_at=p.recorded_at, accuracy=p.accuracy)
        for p in payload.points
    ]
    patrol, added = services.patrol_points_add(
        user=request.user, patrol_id=patrol_id, points=points
    )
    patrol = selectors.patrol_own_get(user=request.user, pk=patrol.pk)
    return {"added": added.added, "duplicates": added.duplicates, "patrol": _patrol_out(patrol)}


@router.post("/patrols/{patrol_id}/end", response=PatrolOut, summary="End a patrol")
def patrol_end(request, patrol_id: int, ended_at: dt.datetime | None = None):
    """``?ended_at=``: when the phone ended it, for an end sent later from its offline queue
    (at most 24 hours). The body is ignored."""
    patrol = services.patrol_end(user=request.user, patrol_id=patrol_id, ended_at=ended_at)
    return _patrol_out(patrol)


# --- check-ins -------------------------------------------------------------------------------


@router.get("/checkins", response=list[CheckInOut], summary="My check-ins, or a member's (grant)")
@paginate(PageNumberPagination, page_size=50)
def checkin_list(request, member: int | None = None):
    checkins = selectors.checkin_list(user=request.user, member_id=member)
    _audit_list(request, member, "checkin_list")
    return [_checkin_out(c) for c in checkins]


@router.get("/checkins/pending", response=list[CheckInOut], summary="Check-ins to review (grant)")
@paginate(PageNumberPagination, page_size=50)
def checkin_pending(request):
    return [_checkin_out(c) for c in selectors.checkin_pending_list(user=request.user)]


@router.post(
    "/checkins", response={200: CheckInOut, 201: CheckInOut}, summary="Check in with a selfie"
)
def checkin_create(
    request,
    photo: File[UploadedFile],
    lon: Form[float],
    lat: Form[float],
    accuracy: Form[float | None] = None,
    at: Form[str] = "",
    client_key: Form[str] = "",
):
    """A field attendance check-in: where you are and a selfie (JPEG, PNG, WebP or HEIC,
    checked by content). The selfie is kept without metadata, encrypted, for
    ``YEMAI_BIOMETRIC_RETENTION_DAYS``; a person reviews it, no software compares faces.
    ``at`` (ISO 8601) is when the phone took it, for a check-in sent later from the offline
    queue; ``client_key`` makes a retry return the first check-in (200)."""
    from django.core.exceptions import ValidationError
    from django.utils.dateparse import parse_datetime

    when = None
    if at:
        try:
            when = parse_datetime(at)
        except ValueError:
            when = None
        if when is None:
            raise ValidationError({"at": [_("Not a date and time (ISO 8601)")]})
    checkin, created = services.checkin_create(
        user=request.user,
        lon=lon,
        lat=lat,
        accuracy=accuracy,
        photo=photo,
        at=when,
        client_key=client_key,
    )
    checkin = selectors.checkin_get(user=request.user, pk=checkin.pk)
    return Status(201 if created else 200, _checkin_out(checkin))


@router.get("/checkins/{checkin_id}", response=CheckInOut, summary="One check-in")
def checkin_detail(request, checkin_id: int):
    checkin = selectors.checkin_get(user=request.user, pk=checkin_id)
    services.sensitive_view_record(user=request.user, obj=checkin, what="checkin")
    return _checkin_out(checkin)


@router.get("/checkins/{checkin_id}/photo", summary="The selfie of a check-in (JPEG)")
def checkin_photo(request, checkin_id: int):
    """Your own, or (with the grant, in your scope) a member's: each such view is audited.
    404 once the selfie is past its retention."""
    checkin = selectors.checkin_get(user=request.user, pk=checkin_id, with_photo=True)
    data = services.checkin_photo_bytes(checkin=checkin)
    services.sensitive_view_record(user=request.user, obj=checkin, what="checkin_photo")
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="checkin-{checkin.pk}.jpg"'
    return response


@router.post("/checkins/{checkin_id}/review", response=CheckInOut, summary="Review a check-in")
def checkin_review(request, checkin_id: int, payload: ReviewIn):
    """A person's verdict (accepted or rejected) after looking at the selfie; needs the grant,
    never one's own."""
    checkin = selectors.checkin_get(user=request.user, pk=checkin_id)
    checkin = services.checkin_review(
        user=request.user, checkin=checkin, outcome=payload.outcome, note=payload.note
    )
    return _checkin_out(checkin)


# --- the grant, erasure (security administrator) ---------------------------------------------


def _grant_out(grant) -> dict:
    return {
        "user_id": grant.user_id,
        "username": grant.user.username,
        "granted_by": grant.granted_by.username if grant.granted_by_id else "",
        "granted_at": grant.granted_at,
        "reason": grant.reason,
    }


@router.get("/grants", response=list[GrantOut], summary="Who may see whereabouts (security admin)")
def grant_list(request):
    return [_grant_out(g) for g in selectors.sensitive_grant_list(user=request.user)]


@router.post(
    "/grants",
    response={200: GrantOut, 201: GrantOut},
    summary="Let someone see whereabouts and selfies (security admin)",
)
def grant_create(request, payload: GrantIn):
    """No role implies this grant. The account must be grid staff in your scope; a reason is
    required; the grant is audited. Granting again returns the grant held (200)."""
    grant, created = services.sensitive_grant(
        actor=request.user, user_id=payload.user_id, reason=payload.reason
    )
    return Status(201 if created else 200, _grant_out(grant))


@router.delete("/grants/{user_id}", response={204: None}, summary="Revoke the grant")
def grant_revoke(request, user_id: int):
    services.sensitive_revoke(actor=request.user, user_id=user_id)
    return Status(204, None)


@router.post(
    "/erasures", response=ErasedOut, summary="Erase one person's tracks and selfies (删除权)"
)
def erase(request, payload: EraseIn):
    """On the person's request (PIPL Art. 47): every patrol, track point and check-in of the
    account goes. Security administrator only, for an account in their scope; audited."""
    counts = services.sensitive_erase(actor=request.user, username=payload.username)
    return counts.as_dict()

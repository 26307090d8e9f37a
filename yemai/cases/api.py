"""The cases API (/api/cases): thin handlers over selectors and actions.

Everything answers within the caller's scope: a case outside it is a 404. A transition the
case's state does not allow is a 400 with the reason; one the caller's role may not take, a
403. Staff sign in with their session or a bearer token; machine clients (a camera worker)
with a token of a centre-operator account (docs/api.md).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from yemai.core.audit import audit_record

from . import actions, selectors, workflow
from .choices import Action
from .models import Case, CaseEvent, CasePhoto
from .schemas import (
    ActionIn,
    AssigneeOut,
    CaseDetailOut,
    CaseFilter,
    CaseIn,
    CaseOut,
    CategoryTreeOut,
    MyCasesOut,
    PhoneOut,
    PhotoOut,
)
from .services import category_get_leaf

router = Router(tags=["cases"])

MAX_IDEMPOTENCY_KEY = 150


def _photo_out(photo) -> dict:
    base = f"/api/cases/{photo.case_id}/photos/{photo.pk}"
    return {
        "id": photo.pk,
        "kind": photo.kind,
        "event": photo.event_id,
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "size": photo.size,
        "url": base,
        "thumbnail_url": f"{base}?variant=thumbnail",
        "original_url": f"{base}?variant=original",
        "uploaded_at": photo.uploaded_at,
    }


def _event_out(event, fresh: bool = False) -> dict:
    return {
        "id": event.pk,
        "action": event.action,
        "action_label": str(Action(event.action).label),
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor": event.actor_label or (str(event.actor) if event.actor_id else ""),
        "actor_id": event.actor_id,
        "at": event.at,
        "note": event.note,
        "lon": event.lon,
        "lat": event.lat,
        "data": event.data or {},
        "photos": [] if fresh else [p.pk for p in event.photos.all()],
    }


def _detail(user, case, fresh_events: list | None = None) -> dict:
    detail = selectors.case_detail(user=user, case=case, fresh_events=fresh_events)
    return {
        **CaseOut.from_orm(case).dict(),
        "tracking_code": case.tracking_code,
        "reporter": str(case.reporter) if case.reporter_id else "",
        "reporter_name": case.reporter_name,
        "reporter_phone": detail["reporter_phone_masked"],
        "reject_reason": case.reject_reason,
        "park_reason": case.park_reason,
        "merged_into": case.merged_into.number if case.merged_into_id else None,
        "rework_count": case.rework_count,
        "clock": case.clock,
        "warn_at": case.warn_at,
        "registered_at": case.registered_at,
        "dispatched_at": case.dispatched_at,
        "accepted_at": case.accepted_at,
        "handled_at": case.handled_at,
        "verified_at": case.verified_at,
        "closed_at": case.closed_at,
        "events": [_event_out(e, fresh_events is not None) for e in detail["events"]],
        "photos": [_photo_out(p) for p in detail["photos"]],
        "allowed_actions": detail["allowed_actions"],
    }


def _case(request, case_id: int):
    return selectors.case_get(user=request.user, pk=case_id)


# --- lists -----------------------------------------------------------------------------------


@router.get("", response=list[CaseOut], summary="Cases in your scope, with filters")
@paginate(PageNumberPagination, page_size=50)
def case_list(request, filters: Query[CaseFilter]):
    return selectors.case_list(user=request.user, **filters.dict())


@router.get("/mine", response=MyCasesOut, summary="My work: to accept, in progress, overdue")
def case_mine(request):
    return selectors.case_my_lists(user=request.user)


@router.get("/queue", response=list[CaseOut], summary="The centre's queue (待派遣)")
@paginate(PageNumberPagination, page_size=50)
def case_queue(request):
    """Open cases outside every micro-grid, and cases not yet dispatched, oldest first."""
    return selectors.case_queue_list(user=request.user)


@router.get("/categories", response=list[CategoryTreeOut], summary="Categories (事件/部件)")
def category_list(request):
    return [
        {
            "code": main.code,
            "name": main.name,
            "kind": main.kind,
            "children": [
                {
                    "code": c.code,
                    "name": c.name,
                    "kind": c.kind,
                    "department": {"id": c.department_id, "name": c.department.name}
                    if c.department_id
                    else None,
                    "priority": c.priority,
                    "accept_hours": float(c.accept_hours),
                    "handle_hours": float(c.handle_hours),
                    "verify_hours": float(c.verify_hours),
                    "rating_asked": c.rating_asked,
                    "after_photo_required": c.after_photo_required,
                }
                for c in main.children_list
            ],
        }
        for main in selectors.category_tree()
    ]


# --- one case --------------------------------------------------------------------------------


@router.post("", response={200: CaseDetailOut, 201: CaseDetailOut}, summary="Report a case")
def case_report(request, payload: CaseIn):
    """A report by staff (patrol: GPS point and description) or a machine client.

    Send an ``Idempotency-Key`` header to make a retry safe: the same key (per account) gives
    the same case, answered 200 instead of 201.
    """
    key = _idempotency_key(request)
    if not actions.may_report(request.user):
        raise PermissionDenied(_("Your role may not report cases"))
    case, created = actions.case_report_as(
        user=request.user,
        category=category_get_leaf(code=payload.category),
        description=payload.description,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        address=payload.address,
        source=payload.source or None,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        idempotency_key=key or None,
    )
    # The intake hands back the case it stored, inside the caller's scope (checked before the
    # write): no need to read it again; related rows load as the answer needs them.
    fresh = case.__dict__.pop("intake_events", None) if created else None
    return Status(201 if created else 200, _detail(request.user, case, fresh_events=fresh))


@router.get("/number/{number}", response=CaseDetailOut, summary="One case by its number")
def case_by_number(request, number: str):
    return _detail(request.user, selectors.case_get(user=request.user, number=number[:24]))


@router.get("/{case_id}", response=CaseDetailOut, summary="One case with its history")
def case_detail(request, case_id: int):
    return _detail(request.user, _case(request, case_id))


@router.post(
    "/{case_id}/actions/{action}", response=CaseDetailOut, summary="Take an action on a case"
)
def case_action(request, case_id: int, action: str, payload: ActionIn):
    """Every step of the loop: register, reject (``reason``), dispatch (``assignee``), accept,
    start, escalate, consult (``participants``), refer (``department``), send_back, handle,
    verify, rework, close, park (``reason``), unpark, withdraw, merge (``into``),
    request_extension (``hours``), approve_extension, supervise, follow_up, comment.

    Send an ``Idempotency-Key`` header to make a retry safe (an offline phone replaying its
    queue): a step this account already took on this case under the same key is not taken
    again; the answer is the case as it is."""
    case = _case(request, case_id)
    if action not in Action.values or action in {Action.REPORT, Action.RATE}:
        raise ValidationError(
            {"action": [_("Unknown action %(action)s") % {"action": action[:30]}]}
        )
    # An offline phone replays its queue with the key it gave the step when it was taken: a
    # step already recorded under that key (by this account, on this case) is not taken again.
    key = _idempotency_key(request)
    replayed = CaseEvent.objects.filter(case=case, actor=request.user, data__idempotency_key=key)
    if key and replayed.exists():
        return _detail(request.user, _case(request, case_id))
    with transaction.atomic():
        updated = _act(request, case, action, payload)
        if key:
            step = CaseEvent.objects.filter(case=updated, actor=request.user).order_by("-id")[:1]
            for event in step:
                event.data = {**(event.data or {}), "idempotency_key": key}
                event.save(update_fields=["data"])
    # The answer is the case as it now is, even where the step took it out of the caller's
    # sight (a department sending a case back): they acted on it a moment ago.
    case = Case.objects.select_related(
        "category", "category__parent", "grid", "assignee", "department", "merged_into", "reporter"
    ).get(pk=updated.pk)
    return _detail(request.user, case)


def _idempotency_key(request) -> str:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise ValidationError(
            {
                "Idempotency-Key": [
                    _("At most %(n)s printable characters") % {"n": MAX_IDEMPOTENCY_KEY}
                ]
            }
        )
    return key


def _act(request, case, action: str, payload):
    return actions.case_act(
        case=case,
        action=action,
        actor=request.user,
        note=payload.note,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        assignee=payload.assignee,
        department=payload.department,
        reason=payload.reason,
        participants=payload.participants,
        into=payload.into,
        hours=payload.hours,
        score=payload.score,
        fixed=payload.fixed,
    )


@router.get("/{case_id}/assignees", response=list[AssigneeOut], summary="Members a case can go to")
def case_assignees(request, case_id: int):
    """Work-team members in your scope who may take this case (for dispatch), those on duty
    first, then by their open cases."""
    case = _case(request, case_id)
    return selectors.case_assignee_candidates(user=request.user, case=case)


@router.post("/{case_id}/reveal", response=PhoneOut, summary="The reporter's whole phone")
def case_reveal(request, case_id: int):
    """Audited (view_pii); only for roles that may see whole personal data."""
    case = _case(request, case_id)
    if not request.user.can_reveal_pii:
        raise PermissionDenied(_("Your role may not see whole phone numbers"))
    audit_record(user=request.user, kind="view_pii", obj=case, detail={"field": "reporter_phone"})
    return {
        "id": case.pk,
        "number": case.number,
        "reporter_name": case.reporter_name,
        "reporter_phone": case.reporter_phone or "",
    }


# --- photos ----------------------------------------------------------------------------------


@router.post("/{case_id}/photos", response={201: PhotoOut}, summary="Add a photo to a case")
def photo_upload(
    request,
    case_id: int,
    file: File[UploadedFile],
    kind: Form[str] = "report",
    event: Form[int | None] = None,
):
    """JPEG, PNG, WebP or HEIC, checked by content (not by name); ``kind`` report, before,
    after or evidence; ``event`` the id of the step it belongs to (e.g. the ``handle`` step
    for after-photos). Sending the same picture again returns the photo stored the first time.
    Anyone who may note on the case may add photos to it."""
    from .evidence import photo_add

    case = _case(request, case_id)
    if Action.COMMENT not in workflow.allowed_actions(case, request.user):
        raise PermissionDenied(_("Your role may not add photos to this case"))
    step = None
    if event is not None:
        step = CaseEvent.objects.filter(case=case, pk=event).first()
        if step is None:
            raise ValidationError({"event": [_("No such step in this case")]})
    photo = photo_add(case=case, file=file, kind=kind, event=step)
    return Status(201, _photo_out(photo))


@router.get("/{case_id}/photos/{photo_id}", summary="A photo: public copy, thumbnail or original")
def photo_download(request, case_id: int, photo_id: int, variant: str = "public"):
    """``public`` (default) and ``thumbnail`` carry no metadata (no EXIF, no GPS);
    ``original`` is the file as taken, only for roles that may see whole personal data, and
    each such view is audited."""
    from .evidence import photo_open

    case = _case(request, case_id)
    photo = CasePhoto.objects.select_related("case").filter(case=case, pk=photo_id).first()
    if photo is None:
        raise Http404
    try:
        opened = photo_open(photo=photo, user_or_public=request.user, variant=variant)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(opened.file, content_type=opened.content_type)
    response["Content-Disposition"] = f'inline; filename="{opened.filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response

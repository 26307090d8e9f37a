"""Extensions (延期) and parking (挂账): the two ways a step's clock is changed on purpose.

*Extension*: the person the step is with asks for N more working hours with a reason; the
due time does not move until a supervisor approves (then ``due_at`` and ``warn_at`` move on by
the approved working time and the escalation level goes back to 0) or refuses (a note saying
so). *Parking*: a case that cannot be worked on for now (waiting for a court, a season, a
budget) is parked with a reason; its clock stops, and resuming it restarts the same step with
the time that was left.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from . import workflow
from .calendar import WorkCalendar, deadline
from .choices import Action, Priority, State
from .deadlines import local_iso, step_due
from .models import Case, CaseEvent

MAX_EXTENSION_HOURS = 400  # about two months of working days: more is a parking, not a delay
REFUSED = "refused"


def _hours(value, field: str = "hours") -> Decimal:
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: [_("Give the hours as a number")]}) from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_EXTENSION_HOURS:
        raise ValidationError(
            {
                field: [
                    _("Ask for more than 0 and at most %(max)s working hours")
                    % {"max": MAX_EXTENSION_HOURS}
                ]
            }
        )
    return hours


def _reason(value, field: str = "reason", max_length: int = 500) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [_("Give a reason")]})
    if len(text) > max_length:
        raise ValidationError(
            {field: [_("Keep the reason under %(n)s characters") % {"n": max_length}]}
        )
    return text


def _iso(value: dt.datetime | None) -> str | None:
    return local_iso(value)


def extension_pending(case: Case) -> CaseEvent | None:
    """The request for more time on the running step that nobody has decided on yet."""
    if not case.clock or case.clock_started_at is None:
        return None
    last = (
        CaseEvent.objects.filter(
            case=case, action=Action.REQUEST_EXTENSION, at__gte=case.clock_started_at
        )
        .order_by("-at", "-id")
        .first()
    )
    if last is None:
        return None
    decided = (
        CaseEvent.objects.filter(case=case, id__gt=last.id)
        .filter(action__in=[Action.APPROVE_EXTENSION, Action.COMMENT])
        .values_list("action", "data")
    )
    for action, data in decided:
        if action == Action.APPROVE_EXTENSION or (data or {}).get("request") == last.pk:
            return None
    return last


@transaction.atomic
def extension_request(
    *, case: Case, actor, hours, reason: str, now: dt.datetime | None = None
) -> CaseEvent:
    """Ask for ``hours`` more working hours on the running step (申请延期)."""
    hours = _hours(hours)
    reason = _reason(reason)
    case = Case.objects.get(pk=case.pk)
    if case.due_at is None:
        raise ValidationError({"hours": [_("No deadline runs on this step")]})
    if extension_pending(case) is not None:
        raise ValidationError({"hours": [_("A request for more time is already waiting")]})
    outcome = workflow.case_transition(
        case=case,
        action=Action.REQUEST_EXTENSION,
        actor=actor,
        now=now,
        note=reason,
        data={
            "hours": float(hours),
            "minutes": round(hours * 60),
            "reason": reason,
            "step": case.clock,
            "due_at": _iso(step_due(case)),
        },
    )
    return outcome.event


def _supervisor(case: Case, actor) -> workflow.Actor:
    actor = workflow.as_actor(actor)
    if actor.kind == "user" and not Case.objects.restrict(actor.user).filter(pk=case.pk).exists():
        raise Http404
    if Action.APPROVE_EXTENSION not in workflow.allowed_actions(case, actor):
        raise PermissionDenied(_("Your role may not decide on more time"))
    return actor


@transaction.atomic
def extension_approve(
    *,
    case: Case,
    actor,
    hours=None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Approve more time (批准延期): the step's due and warning move on by the working hours
    approved (those asked for unless ``hours`` says otherwise); escalation starts again at 0."""
    now = now or timezone.now()
    case = Case.objects.select_related("category").get(pk=case.pk)
    actor = _supervisor(case, actor)
    pending = extension_pending(case)
    if hours is None:
        if pending is None:
            raise ValidationError({"hours": [_("Nobody asked for more time: give the hours")]})
        hours = pending.data.get("hours")
    hours = _hours(hours)
    if case.due_at is None:
        raise ValidationError({"hours": [_("No deadline runs on this step")]})
    if pending is not None and actor.kind == "user" and pending.actor_id == actor.user.pk:
        raise PermissionDenied(_("Someone else must approve your own request"))
    minutes = round(hours * 60)
    wall = case.priority == Priority.URGENT
    calendar = WorkCalendar()
    due_before = step_due(case)
    new_due = deadline(due_before, minutes, wall_clock=wall, calendar=calendar)
    new_warn = (
        deadline(case.warn_at, minutes, wall_clock=wall, calendar=calendar)
        if case.warn_at
        else None
    )
    outcome = workflow.case_transition(
        case=case,
        action=Action.APPROVE_EXTENSION,
        actor=actor,
        now=now,
        note=note,
        data={
            "hours": float(hours),
            "minutes": minutes,
            "request": pending.pk if pending else None,
            "requested_by": pending.actor_id if pending else None,
            "due_before": _iso(due_before),
            "due_at": _iso(new_due),
        },
        due_at=new_due,
        warn_at=new_warn,
        escalation_level=0,
        warned=False,
    )
    return outcome.case


@transaction.atomic
def extension_refuse(
    *, case: Case, actor, reason: str, now: dt.datetime | None = None
) -> CaseEvent:
    """Refuse a request for more time: a note on the case; the due time stays."""
    reason = _reason(reason)
    case = Case.objects.get(pk=case.pk)
    actor = _supervisor(case, actor)
    pending = extension_pending(case)
    if pending is None:
        raise ValidationError({"reason": [_("No request for more time is waiting")]})
    outcome = workflow.case_transition(
        case=case,
        action=Action.COMMENT,
        actor=actor,
        now=now,
        note=reason,
        data={"extension": REFUSED, "request": pending.pk, "requested_by": pending.actor_id},
    )
    return outcome.event


# --- Parking (挂账) ----------------------------------------------------------------------------


def _remaining_minutes(case: Case, now: dt.datetime, calendar: WorkCalendar) -> float | None:
    if case.due_at is None:
        return None
    if case.priority == Priority.URGENT:
        return max((case.due_at - now).total_seconds() / 60, 0.0)
    return calendar.between(now, case.due_at)


@transaction.atomic
def case_park(*, case: Case, actor, reason: str, now: dt.datetime | None = None) -> Case:
    """Park a case with a reason (挂账): its clock stops and the time left is remembered."""
    now = now or timezone.now()
    reason = _reason(reason, max_length=200)
    case = Case.objects.select_related("category").get(pk=case.pk)
    calendar = WorkCalendar()
    remaining = _remaining_minutes(case, now, calendar)
    warn_left = None
    if case.warn_at is not None and not case.warned:
        warn_left = (
            max((case.warn_at - now).total_seconds() / 60, 0.0)
            if case.priority == Priority.URGENT
            else calendar.between(now, case.warn_at)
        )
    outcome = workflow.case_transition(
        case=case,
        action=Action.PARK,
        actor=actor,
        now=now,
        note=reason,
        data={
            "reason": reason,
            "step": case.clock,
            "remaining_minutes": None if remaining is None else round(remaining, 2),
            "warn_minutes": None if warn_left is None else round(warn_left, 2),
            "limit_minutes": case.limit_minutes,
            "escalation_level": case.escalation_level,
            "warned": case.warned,
            "clock_started_at": _iso(case.clock_started_at),
        },
        parked_from=case.state,
        park_reason=reason,
    )
    return outcome.case


@transaction.atomic
def case_unpark(*, case: Case, actor, note: str = "", now: dt.datetime | None = None) -> Case:
    """Resume a parked case: the step it was parked in, with the time it had left."""
    now = now or timezone.now()
    case = Case.objects.select_related("category").get(pk=case.pk)
    if case.state != State.PARKED or not case.parked_from:
        raise ValidationError({"action": [_("This case is not parked")]})
    park = (
        CaseEvent.objects.filter(case=case, action=Action.PARK)
        .order_by("-at", "-id")
        .values_list("data", flat=True)
        .first()
    ) or {}
    outcome = workflow.case_transition(
        case=case,
        action=Action.UNPARK,
        actor=actor,
        now=now,
        note=note,
        target=case.parked_from,
        data={"remaining_minutes": park.get("remaining_minutes"), "step": park.get("step")},
        parked_from="",
        park_reason="",
    )
    case = outcome.case
    remaining = park.get("remaining_minutes")
    if case.clock and case.clock == park.get("step") and remaining is not None:
        wall = case.priority == Priority.URGENT
        calendar = WorkCalendar()
        warn_left = park.get("warn_minutes")
        changes = {
            "due_at": deadline(now, remaining, wall_clock=wall, calendar=calendar),
            "warn_at": (
                deadline(now, warn_left, wall_clock=wall, calendar=calendar)
                if warn_left is not None
                else case.warn_at
            ),
            "warned": bool(park.get("warned")) and warn_left is None,
            "escalation_level": int(park.get("escalation_level") or 0),
            "limit_minutes": park.get("limit_minutes") or case.limit_minutes,
        }
        started = parse_datetime(str(park.get("clock_started_at") or ""))
        if started is not None:
            changes["clock_started_at"] = started
        if changes["warn_at"] and changes["warn_at"] > changes["due_at"]:
            changes["warn_at"] = changes["due_at"]
        Case.objects.filter(pk=case.pk).update(**changes)
        for name, value in changes.items():
            setattr(case, name, value)
    from . import notices

    notices.resumed_send(case=case, now=now)
    return case

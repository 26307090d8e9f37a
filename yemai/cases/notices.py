"""Notices of the closed loop (案件通知), written to the outbox (``yemai.notify``) in the
transaction of the change they report.

Who gets what:

=====================  ==========================================================
dispatch (派遣)         the assignee
escalation (上报)       the micro-grid leader(s)
referral (联动)         the department's liaisons
sent back (回退)        the grid centre's operators
rework (返工)           the assignee
overdue (超时升级)      the users of the level escalated to
reminder (催办)         the people the step is with (from the deadline watch)
extension (延期)        asked: the approvers; approved or refused: who asked
resumed (恢复)          the people the step is with
rating invitation       the reporting resident, by SMS, with their rating link
=====================  ==========================================================

Staff notices carry the case number, category, place and deadline, never the resident's
phone or name. A notice that cannot go out (no channel) is kept by the outbox as given up; it
never undoes the change it reports.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy

from . import workflow
from .choices import Action
from .models import Case

_suppressed: ContextVar[bool] = ContextVar("case_notices_suppressed", default=False)

TEMPLATES = {
    "case.dispatched": gettext_lazy(
        "Case %(number)s (%(category)s) at %(place)s is assigned to you. Accept it by %(deadline)s."
    ),
    "case.escalated": gettext_lazy(
        "Case %(number)s (%(category)s) at %(place)s was escalated to you by %(by)s. "
        "Handle it by %(deadline)s."
    ),
    "case.referred": gettext_lazy(
        "Case %(number)s (%(category)s) at %(place)s was referred to %(department)s. "
        "Handle it by %(deadline)s."
    ),
    "case.sent_back": gettext_lazy(
        "Case %(number)s (%(category)s) at %(place)s was sent back by %(by)s: %(reason)s"
    ),
    "case.rework": gettext_lazy(
        "Case %(number)s (%(category)s) at %(place)s comes back to you for rework: "
        "%(reason)s. Handle it by %(deadline)s."
    ),
    "case.overdue": gettext_lazy(
        "Case %(number)s (%(category)s) at %(place)s is overdue (due %(due)s) and is "
        "escalated to you (level %(level)s, %(level_name)s)."
    ),
    "case.reminder": gettext_lazy(
        "Reminder: case %(number)s (%(category)s) at %(place)s is due at %(deadline)s."
    ),
    "case.extension_requested": gettext_lazy(
        "%(by)s asks for %(hours)s more working hours on case %(number)s (%(category)s) "
        "at %(place)s: %(reason)s"
    ),
    "case.extension_approved": gettext_lazy(
        "More time approved on case %(number)s (%(category)s) at %(place)s: now due %(deadline)s."
    ),
    "case.extension_refused": gettext_lazy(
        "More time refused on case %(number)s (%(category)s) at %(place)s: %(reason)s. "
        "Still due %(deadline)s."
    ),
    "case.resumed": gettext_lazy(
        "Case %(number)s (%(category)s) at %(place)s is resumed. Handle it by %(deadline)s."
    ),
    "case.rating_invitation": gettext_lazy(
        "Your report %(number)s (%(category)s) has been dealt with. "
        "Please tell us how it went: %(link)s"
    ),
}

LEVEL_NAMES = {
    1: gettext_lazy("micro-grid leader"),
    2: gettext_lazy("village head"),
    3: gettext_lazy("grid centre"),
}


def available() -> bool:
    """Whether the outbox is installed (it is in every normal installation)."""
    return apps.is_installed("yemai.notify")


def _register_templates() -> None:
    if not available():
        return
    from yemai.notify.texts import template_register

    for code, text in TEMPLATES.items():
        template_register(code, text)


_register_templates()


@contextmanager
def suppressed():
    """No case notices inside this block (a camera duplicate merged as soon as it is made)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def _active() -> bool:
    return available() and not _suppressed.get()


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def case_params(case: Case, **extra) -> dict:
    """What every staff notice says about a case: number, category, place, deadline."""
    return {
        "number": case.number,
        "category": case.category.name,
        "place": (case.address or case.grid.name)[:60],
        "deadline": _when(case.due_at),
        **extra,
    }


def _send(template: str, users, case: Case, params: dict, key: str) -> list:
    """One notice per user (each once: the dedupe key names the event and the user)."""
    from yemai.notify.services import notice_send

    sent, seen = [], set()
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        sent.append(
            notice_send(
                template=template,
                params=params,
                user=user,
                grid=case.grid,
                dedupe_key=f"{key}:{user.pk}"[:200],
            )
        )
    return sent


def _users_by_id(ids) -> list:
    from yemai.accounts.models import User

    ids = [i for i in (ids or []) if isinstance(i, int)]
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _approvers(case: Case) -> list:
    from .deadlines import escalation_recipients

    for level in (1, 2, 3):
        users = escalation_recipients(case, level)
        if users:
            return users
    return []


# The actions that may notify someone (each branch below).
NOTIFYING = frozenset(
    {
        Action.DISPATCH,
        Action.ESCALATE,
        Action.REFER,
        Action.SEND_BACK,
        Action.REWORK,
        Action.SUPERVISE,
        Action.REQUEST_EXTENSION,
        Action.APPROVE_EXTENSION,
        Action.COMMENT,
    }
)


@workflow.on_transition
def _on_transition(outcome) -> None:
    if not _active():
        return
    event, case = outcome.event, outcome.case
    action, data = event.action, event.data or {}
    if action not in NOTIFYING:
        return  # e.g. register, accept: nobody needs telling
    key = f"case:{case.pk}:event:{event.pk}"
    params = case_params(case)
    from . import deadlines

    if action == Action.DISPATCH and case.assignee_id:
        _send("case.dispatched", [case.assignee], case, params, key)
    elif action == Action.ESCALATE:
        users = deadlines.micro_leaders(case) or deadlines.village_heads(case)
        _send("case.escalated", users, case, {**params, "by": event.actor_label}, key)
    elif action == Action.REFER:
        department = case.department.name if case.department_id else "—"
        users = deadlines.department_liaisons(case)
        _send("case.referred", users, case, {**params, "department": department}, key)
    elif action == Action.SEND_BACK:
        users = deadlines.centre_operators(case)
        reason = event.note or "—"
        _send(
            "case.sent_back",
            users,
            case,
            {**params, "by": event.actor_label, "reason": reason},
            key,
        )
    elif action == Action.REWORK and case.assignee_id:
        reason = event.note or "—"
        _send("case.rework", [case.assignee], case, {**params, "reason": reason}, key)
    elif action == Action.SUPERVISE:
        level = int(data.get("level") or 0)
        due = data.get("step_due")
        extra = {
            "level": level,
            "level_name": str(LEVEL_NAMES.get(level, level)),
            "due": _when(_parse(due)) if due else _when(outcome.before.get("due_at")),
        }
        _send("case.overdue", _users_by_id(data.get("to")), case, {**params, **extra}, key)
    elif action == Action.REQUEST_EXTENSION:
        extra = {
            "by": event.actor_label,
            "hours": _hours_text(data.get("hours")),
            "reason": data.get("reason") or event.note,
        }
        _send("case.extension_requested", _approvers(case), case, {**params, **extra}, key)
    elif action == Action.APPROVE_EXTENSION and data.get("requested_by"):
        users = _users_by_id([data["requested_by"]])
        _send("case.extension_approved", users, case, params, key)
    elif action == Action.COMMENT and data.get("extension") == "refused":
        users = _users_by_id([data.get("requested_by")])
        _send("case.extension_refused", users, case, {**params, "reason": event.note}, key)


def _parse(value):
    from django.utils.dateparse import parse_datetime

    return parse_datetime(str(value))


def _hours_text(value) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "?"
    return f"{number:g}"


def reminder_send(*, case: Case, users, now: dt.datetime | None = None) -> list:
    """The reminder (催办) at the warning share of the step's limit."""
    if not _active():
        return []
    started = case.clock_started_at.isoformat() if case.clock_started_at else "-"
    key = f"case:{case.pk}:remind:{case.clock}:{started}"
    return _send("case.reminder", users, case, case_params(case), key)


def resumed_send(*, case: Case, now: dt.datetime | None = None) -> list:
    """A parked case is worked on again: tell the people the step is with."""
    if not _active():
        return []
    from .deadlines import step_holders

    stamp = (now or timezone.now()).isoformat()
    key = f"case:{case.pk}:resumed:{stamp}"
    return _send("case.resumed", step_holders(case), case, case_params(case), key)


def rating_invitation_send(*, case: Case, reporter_case: Case, token: str):
    """The SMS inviting the resident who reported ``reporter_case`` to rate ``case`` (the
    same case, or the original it was merged into)."""
    if not _active() or not reporter_case.reporter_phone:
        return None
    from yemai.notify.services import notice_send

    from .rating import rating_url

    params = {
        "number": reporter_case.number,
        "category": case.category.name,
        "link": rating_url(token),
    }
    try:
        return notice_send(
            template="case.rating_invitation",
            params=params,
            phone=reporter_case.reporter_phone,
            grid=case.grid,
            dedupe_key=f"case:{reporter_case.pk}:rating:{reporter_case.rating_token_hash[:16]}",
        )
    except ValidationError:
        # A phone the SMS channel cannot take (a landline from a hotline import): the
        # resident can still be called back (回访); the close must not fail for it.
        return None


__all__ = [
    "available",
    "case_params",
    "rating_invitation_send",
    "reminder_send",
    "resumed_send",
    "suppressed",
]

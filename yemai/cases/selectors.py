"""Reads of the closed loop, always limited to the user's scope (``restrict``).

A case outside the scope does not exist for the user (404). Lists: every case with filters
(``case_list``), a member's own work (``case_my_lists``: to accept, in progress, overdue …)
and the centre's queue (``case_queue_list``: outside every micro-grid, or not dispatched).
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.core.masking import mask_phone
from yemai.core.scoping import get_scoped_or_404
from yemai.grids.choices import Level
from yemai.grids.models import GridNode

from . import workflow
from .choices import OPEN_STATES, Action, State
from .models import Case, CaseEvent, CasePhoto, Category

IN_PROGRESS = {State.ACCEPTED, State.HANDLING, State.ESCALATED, State.CONSULTING, State.REFERRED}
OWN_STEPS = {State.DISPATCHED, State.ACCEPTED, State.HANDLING}
FINAL = {State.REJECTED, State.CLOSED, State.WITHDRAWN}
MY_LIST_LIMIT = 200


def _cases(user) -> QuerySet[Case]:
    return Case.objects.restrict(user).select_related(
        "category", "category__parent", "grid", "assignee", "department"
    )


# --- filters ---------------------------------------------------------------------------------


def _states(value: str) -> set[str]:
    states: set[str] = set()
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        if part == "open":
            states |= set(OPEN_STATES)
        elif part == "final":
            states |= FINAL
        elif part in State.values:
            states.add(part)
        else:
            raise ValidationError({"state": [_("Unknown state %(state)s") % {"state": part[:20]}]})
    return states


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def period_range(period: str, *, now=None) -> tuple[dt.datetime, dt.datetime]:
    """``today``, ``week`` (7 days), ``month`` (this month), ``YYYY-MM``, ``YYYY-MM-DD`` or
    ``YYYY-MM-DD..YYYY-MM-DD`` (both days included) → [start, end) in local time."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    period = period.strip()
    bad = ValidationError(
        {"period": [_("Use today, week, month, YYYY-MM, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD")]}
    )
    try:
        if period == "today":
            return _day_start(today), _day_start(today + dt.timedelta(days=1))
        if period == "week":
            return _day_start(today - dt.timedelta(days=6)), _day_start(
                today + dt.timedelta(days=1)
            )
        if period == "month":
            period = today.strftime("%Y-%m")
        if _MONTH.match(period):
            first = dt.date.fromisoformat(period + "-01")
            after = (first + dt.timedelta(days=32)).replace(day=1)
            return _day_start(first), _day_start(after)
        if _DAY.match(period):
            day = dt.date.fromisoformat(period)
            return _day_start(day), _day_start(day + dt.timedelta(days=1))
        if ".." in period:
            start, end = (p.strip() for p in period.split("..", 1))
            if _DAY.match(start) and _DAY.match(end):
                first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
                if first <= last:
                    return _day_start(first), _day_start(last + dt.timedelta(days=1))
    except (ValueError, OverflowError):
        raise bad from None
    raise bad


def case_list(
    *,
    user,
    state: str | None = None,
    category: str | None = None,
    source: str | None = None,
    grid: str | None = None,
    assignee: str | int | None = None,
    period: str | None = None,
    q: str | None = None,
    overdue: bool | None = None,
    now=None,
) -> QuerySet[Case]:
    """Cases in the user's scope, newest first. ``state`` takes a comma list and ``open``;
    ``category`` a subcategory or main category code; ``grid`` a code (its subtree; outside
    the scope: 404); ``assignee`` a user id, ``me`` or ``none``; ``q`` a case number, tracking
    code, or words of the description or place."""
    now = now or timezone.now()
    cases = _cases(user)
    if state:
        cases = cases.filter(state__in=_states(state))
    if category:
        cases = cases.filter(Q(category__code=category) | Q(category__parent__code=category))
    if source:
        cases = cases.filter(source=source)
    if grid:
        node = get_scoped_or_404(GridNode.objects.all(), user, code=grid)
        cases = cases.filter(grid__path__startswith=node.path)
    if assignee not in (None, ""):
        if assignee == "me":
            cases = cases.filter(assignee_id=user.pk)
        elif assignee == "none":
            cases = cases.filter(assignee__isnull=True)
        else:
            try:
                cases = cases.filter(assignee_id=int(assignee))
            except (TypeError, ValueError):
                raise ValidationError({"assignee": [_("Give a user id, me or none")]}) from None
    if period:
        start, end = period_range(period, now=now)
        cases = cases.filter(reported_at__gte=start, reported_at__lt=end)
    if overdue:
        cases = cases.filter(state__in=OPEN_STATES, due_at__lt=now)
    if q:
        q = q.strip()[:100]
        cases = cases.filter(
            Q(number=q)
            | Q(tracking_code=q.upper())
            | Q(description__icontains=q)
            | Q(address__icontains=q)
        )
    return cases.order_by("-reported_at", "-id")


def case_my_lists(*, user, now=None) -> dict[str, list[Case]]:
    """The user's own work: cases to accept, in progress, overdue; for leaders and heads also
    escalated cases to coordinate and handled cases to verify (in their scope)."""
    now = now or timezone.now()
    mine = _cases(user).filter(assignee_id=user.pk)
    lists = {
        "to_accept": mine.filter(state=State.DISPATCHED),
        "in_progress": mine.filter(state__in=IN_PROGRESS),
        # Overdue steps that are the assignee's own to take (not the leader's verification).
        "overdue": mine.filter(state__in=OWN_STEPS, due_at__lt=now),
        "escalated": Case.objects.none(),
        "to_verify": Case.objects.none(),
    }
    if getattr(user, "role", "") in workflow.SUPERVISORS:
        lists["escalated"] = _cases(user).filter(state__in={State.ESCALATED, State.CONSULTING})
        lists["to_verify"] = _cases(user).filter(state=State.HANDLED)
    return {
        name: list(qs.order_by("due_at", "reported_at")[:MY_LIST_LIMIT])
        for name, qs in lists.items()
    }


def case_queue_list(*, user) -> QuerySet[Case]:
    """The centre's queue (待派遣): open cases outside every micro-grid, or not yet dispatched."""
    return (
        _cases(user)
        .filter(
            Q(state__in={State.REPORTED, State.REGISTERED})
            | (Q(state__in=OPEN_STATES) & ~Q(grid__level=Level.MICRO))
        )
        .order_by("reported_at", "id")
    )


def case_get(*, user, pk: int | None = None, number: str | None = None) -> Case:
    """One case by id or number; outside the scope (or nonexistent): 404."""
    lookup = {"pk": pk} if pk is not None else {"number": number}
    return get_scoped_or_404(
        Case.objects.select_related(
            "category",
            "category__parent",
            "grid",
            "assignee",
            "department",
            "merged_into",
            "reporter",
        ),
        user,
        **lookup,
    )


# --- detail -----------------------------------------------------------------------------------


def deadline_colour(case: Case, *, now=None) -> str:
    """green / yellow (past 80 % of the step's limit) / red (past it, or escalated); "" when
    no clock runs. The rule is the deadline worker's own (``deadlines.clock_colour``)."""
    from .deadlines import NONE, clock_colour

    colour = clock_colour(case, now)
    return "" if colour == NONE else colour


def case_timeline(*, case: Case) -> list[CaseEvent]:
    return list(
        CaseEvent.objects.filter(case=case)
        .select_related("actor")
        .prefetch_related(Prefetch("photos", queryset=CasePhoto.objects.order_by("id")))
        .order_by("at", "id")
    )


def case_detail(*, user, case: Case, now=None, fresh_events: list | None = None) -> dict:
    """A case with its history (who, when, what, where, photos), its photos, and the actions
    the user may take now. ``fresh_events``: the rows of a case taken in just now (it has no
    photos yet), so that the intake's answer does not read back what it wrote."""
    now = now or timezone.now()
    return {
        "case": case,
        "deadline": deadline_colour(case, now=now),
        "reporter_phone_masked": mask_phone(case.reporter_phone) if case.reporter_phone else "",
        "events": case_timeline(case=case) if fresh_events is None else fresh_events,
        "photos": [] if fresh_events is not None else list(case.photos.order_by("id")),
        "allowed_actions": [
            a for a in workflow.allowed_actions(case, user) if a not in API_HIDDEN_ACTIONS
        ],
    }


# Actions that are not the staff's to take through the API: the reporter's rating comes through
# the rating link, not a staff account.
API_HIDDEN_ACTIONS = {Action.RATE}


# --- categories ------------------------------------------------------------------------------


def category_tree(*, enabled_only: bool = True) -> list[Category]:
    """Main categories with their subcategories (``children_list``), in order."""
    categories = Category.objects.select_related("department").order_by("sort", "code")
    if enabled_only:
        categories = categories.filter(enabled=True)
    mains, children = [], {}
    for category in categories:
        if category.parent_id is None:
            mains.append(category)
        else:
            children.setdefault(category.parent_id, []).append(category)
    for main in mains:
        main.children_list = children.get(main.pk, [])
    return mains


def category_leaf_list(*, enabled_only: bool = True) -> QuerySet[Category]:
    leaves = Category.objects.filter(parent__isnull=False).select_related("parent", "department")
    if enabled_only:
        leaves = leaves.filter(enabled=True, parent__enabled=True)
    return leaves.order_by("parent__sort", "parent__code", "sort", "code")


# --- dispatch ----------------------------------------------------------------------------------


def case_assignee_candidates(*, user, case: Case, now=None, limit: int = 500) -> list[dict]:
    """Members in the user's scope who may take ``case``: the case's micro-grid's members, or
    for a case in the queue every field member under its grid. On duty first, then the fewest
    open cases."""
    from django.db.models import Count

    from yemai.accounts.models import User

    from .routing import on_duty_users

    now = now or timezone.now()
    people = (
        User.objects.restrict(user)
        .filter(is_active=True, role__in=workflow.FIELD, scope__path__startswith=case.grid.path)
        .select_related("scope")
        .annotate(
            open_cases=Count("cases_assigned", filter=Q(cases_assigned__state__in=OPEN_STATES))
        )
        .order_by("scope__code", "username")[:limit]
    )
    people = list(people)
    on_duty: set[int] = set()
    for grid in {p.scope for p in people}:
        if grid.level == Level.MICRO:
            on_duty |= set(on_duty_users(grid, timezone.localdate(now)))
    rows = [
        {
            "id": p.pk,
            "name": str(p),
            "grid": p.scope.code,
            "on_duty": p.pk in on_duty,
            "open_cases": p.open_cases,
        }
        for p in people
    ]
    rows.sort(key=lambda r: (not r["on_duty"], r["open_cases"], r["id"]))
    return rows

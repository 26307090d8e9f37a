"""Deadlines and escalation (时限与超时升级): clock colours, reminders, the escalation chain.

Each open step has a clock in working time (``calendar``): ``warn_at`` at 80 % of its limit
(``settings.CASE_WARN_RATIO``), ``due_at`` at 100 %. ``deadline_tick`` runs every minute (a
durable task, or ``yemai deadlines``): it finds open cases whose ``warn_at`` has passed without
a reminder and cases that are overdue, claims each row with a conditional UPDATE on
``deadline_claimed_until`` (so two workers never handle the same case), and

* reminds the person the step is with (催办提醒), once per step;
* escalates an overdue step one level up the chain (超时升级), one level per limit:
  level 1 the micro-grid leader (微网格长), level 2 the village head (村居网格长), level 3 the
  grid centre (督办, every centre operator of the town). Each escalation is a ``SUPERVISE``
  transition by the system, recorded in the case's history and notified; ``due_at`` then moves
  on by the step's limit again, so the next level is called only if the step is still not
  done one limit later. A level nobody holds (no leader account) is passed over.

``escalation_level`` > 0 means the step has missed its due: the clock is red until the step
ends or an extension is approved. Whether the handling was on time is stamped on the case when
it is reported handled (``handled_on_time``) and kept when it closes.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from yemai.accounts.roles import Role
from yemai.grids.choices import Level, TeamKind

from . import workflow
from .calendar import WorkCalendar, deadline
from .choices import OPEN_STATES, Action, Priority, State
from .models import Case, CaseEvent

log = logging.getLogger("yemai.cases.deadlines")

MAX_LEVEL = 3  # 1 micro-grid leader, 2 village head, 3 the grid centre (督办)
LEVEL_NAMES = {
    1: "micro_leader",
    2: "village_head",
    3: "centre",
}
DEFAULT_LEASE = dt.timedelta(minutes=2)  # a worker that dies mid-case frees it after this
TICK_BATCH = 500  # cases handled per tick at most; the rest wait a minute

GREEN, YELLOW, RED, NONE = "green", "yellow", "red", "none"


def local_iso(value: dt.datetime | None) -> str | None:
    """A time for a history row's data: ISO 8601 in local time, as people read it."""
    return timezone.localtime(value).isoformat() if value else None


# --- Colours --------------------------------------------------------------------------------


def clock_colour(case: Case, now: dt.datetime | None = None) -> str:
    """The colour of the running step's clock: green below the warning share of its limit,
    yellow up to the due time, red past it (and while an overdue step is escalated);
    ``none`` when no clock runs (closed, parked, waiting for the centre, a step without limit).
    """
    if case.due_at is None or case.state not in OPEN_STATES:
        return NONE
    now = now or timezone.now()
    if case.escalation_level > 0 or now >= case.due_at:
        return RED
    if case.warn_at is not None and now >= case.warn_at:
        return YELLOW
    return GREEN


def clock_used(
    case: Case, now: dt.datetime | None = None, *, calendar: WorkCalendar | None = None
) -> float | None:
    """The share of the step's limit used so far (0.5 = half the time gone), or None."""
    if not case.limit_minutes or case.clock_started_at is None or case.state not in OPEN_STATES:
        return None
    now = now or timezone.now()
    if case.priority == Priority.URGENT:
        used = (now - case.clock_started_at).total_seconds() / 60
    else:
        used = (calendar or WorkCalendar()).between(case.clock_started_at, now)
    return max(used, 0.0) / case.limit_minutes


# --- Who is who along the chain -------------------------------------------------------------


def _users():
    from yemai.accounts.models import User

    return User.objects.filter(is_active=True)


def _micro_grid(case: Case):
    return case.grid if case.grid.level == Level.MICRO else None


def _village(case: Case):
    if case.grid.level == Level.VILLAGE:
        return case.grid
    if case.grid.level == Level.MICRO:
        return case.grid.parent
    return None


def _town_id(case: Case) -> int:
    return int(case.grid.path.strip("/").split("/")[0])


def micro_leaders(case: Case) -> list:
    """The micro-grid leaders (微网格长): leaders of its management team who have an account,
    and users with the micro-grid leader role scoped to the micro-grid."""
    grid = _micro_grid(case)
    if grid is None:
        return []
    return list(
        _users()
        .filter(
            Q(
                team_memberships__team__grid=grid,
                team_memberships__team__kind=TeamKind.MANAGEMENT,
                team_memberships__is_leader=True,
            )
            | Q(role=Role.MICRO_LEADER, scope=grid)
        )
        .distinct()
        .order_by("pk")
    )


def village_heads(case: Case) -> list:
    village = _village(case)
    if village is None:
        return []
    return list(_users().filter(role=Role.VILLAGE_HEAD, scope=village).order_by("pk"))


def centre_operators(case: Case) -> list:
    """Every centre operator of the case's town (督办)."""
    return list(_users().filter(role=Role.CENTRE_OPERATOR, scope_id=_town_id(case)).order_by("pk"))


def department_liaisons(case: Case) -> list:
    if case.department_id is None:
        return []
    return list(
        _users().filter(role=Role.DEPARTMENT, department_id=case.department_id).order_by("pk")
    )


def escalation_recipients(case: Case, level: int) -> list:
    return {1: micro_leaders, 2: village_heads, 3: centre_operators}[level](case)


def step_holders(case: Case) -> list:
    """The people the running step is with: who a reminder goes to."""
    if case.state in {State.DISPATCHED, State.ACCEPTED, State.HANDLING}:
        return [case.assignee] if case.assignee_id and case.assignee.is_active else []
    if case.state == State.REFERRED:
        return department_liaisons(case)
    if case.state in {State.ESCALATED, State.CONSULTING, State.HANDLED, State.VERIFIED}:
        for level in range(1, MAX_LEVEL + 1):
            users = escalation_recipients(case, level)
            if users:
                return users
    return []


# --- The real due of a step ------------------------------------------------------------------


def step_due(case: Case) -> dt.datetime | None:
    """The due time of the running step as it was before any escalation moved ``due_at`` on.

    Escalations record it in their event (``data["step_due"]``); with no escalation it is
    ``due_at`` itself.
    """
    if case.escalation_level == 0 or case.due_at is None:
        return case.due_at
    events = CaseEvent.objects.filter(case=case, action=Action.SUPERVISE).order_by("-at", "-id")
    if case.clock_started_at is not None:
        events = events.filter(at__gte=case.clock_started_at)
    for data in events.values_list("data", flat=True)[:5]:
        value = parse_datetime(str((data or {}).get("step_due") or ""))
        if value is not None:
            return value
    return case.due_at


# --- The tick -------------------------------------------------------------------------------


@dataclass
class TickResult:
    reminded: list[int] = field(default_factory=list)  # case ids
    escalated: list[tuple[int, int]] = field(default_factory=list)  # (case id, level)
    skipped: int = 0  # claimed by another worker, or changed meanwhile
    failed: int = 0

    def __str__(self):
        return (
            f"{len(self.reminded)} reminded, {len(self.escalated)} escalated, "
            f"{self.skipped} skipped, {self.failed} failed"
        )


def _unclaimed(now: dt.datetime) -> Q:
    return Q(deadline_claimed_until__isnull=True) | Q(deadline_claimed_until__lt=now)


def _claim(pk: int, now: dt.datetime, lease: dt.timedelta) -> bool:
    """Take the row for this worker: go on only if our conditional UPDATE changed it."""
    return (
        Case.objects.filter(_unclaimed(now), pk=pk).update(deadline_claimed_until=now + lease) == 1
    )


def _release(pk: int, **changes) -> None:
    Case.objects.filter(pk=pk).update(deadline_claimed_until=None, **changes)


def deadline_candidates(now: dt.datetime, *, limit: int = TICK_BATCH) -> list[int]:
    """Ids of open cases that are overdue or due a reminder, most urgent first.

    Two queries, each a range on ``due_at`` so both use the partial index on open rows.
    """
    open_ = Case.objects.filter(_unclaimed(now), state__in=sorted(OPEN_STATES))
    overdue = list(
        open_.filter(due_at__lte=now, escalation_level__lt=MAX_LEVEL)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    warn = list(
        open_.filter(due_at__gt=now, warn_at__lte=now, warned=False)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[: max(limit - len(overdue), 0)]
    )
    return overdue + warn


def deadline_tick(
    *, now: dt.datetime | None = None, lease: dt.timedelta = DEFAULT_LEASE
) -> TickResult:
    """One round of the deadline watch (run every minute). Safe to run in several workers."""
    now = now or timezone.now()
    result = TickResult()
    calendar = WorkCalendar()
    for pk in deadline_candidates(now):
        if not _claim(pk, now, lease):
            result.skipped += 1
            continue
        try:
            with transaction.atomic():
                done = _process(pk, now, calendar)
        except Exception:
            # The claim stays until its lease ends; the case is tried again after that.
            log.exception("deadline watch: case %s failed", pk)
            result.failed += 1
            continue
        if done is None:
            result.skipped += 1
        elif done[0] == "remind":
            result.reminded.append(pk)
        else:
            result.escalated.append((pk, done[1]))
    return result


def _process(pk: int, now: dt.datetime, calendar: WorkCalendar):
    case = Case.objects.select_related("category", "grid", "assignee").get(pk=pk)
    if case.state not in OPEN_STATES:
        _release(pk)
        return None
    if case.due_at is not None and case.due_at <= now and case.escalation_level < MAX_LEVEL:
        level = case_escalate_overdue(case=case, now=now, calendar=calendar)
        return ("escalate", level)
    if (
        case.warn_at is not None
        and case.warn_at <= now
        and not case.warned
        and (case.due_at is None or case.due_at > now)
    ):
        from . import notices

        notices.reminder_send(case=case, users=step_holders(case), now=now)
        _release(pk, warned=True)
        return ("remind", 0)
    _release(pk)
    return None


def case_escalate_overdue(
    *, case: Case, now: dt.datetime, calendar: WorkCalendar | None = None
) -> int:
    """Escalate an overdue step one level (a level nobody holds is passed over); returns it."""
    level, to = case.escalation_level, []
    while level < MAX_LEVEL and not to:
        level += 1
        to = escalation_recipients(case, level)
    missed = step_due(case)
    changes = {"escalation_level": level, "warned": True, "deadline_claimed_until": None}
    next_due = None
    if level < MAX_LEVEL and case.limit_minutes:
        next_due = deadline(
            case.due_at,
            case.limit_minutes,
            wall_clock=case.priority == Priority.URGENT,
            calendar=calendar,
        )
        changes["due_at"] = next_due
    workflow.case_transition(
        case=case,
        action=Action.SUPERVISE,
        actor=workflow.system(_("Deadline watch")),
        now=now,
        note=_("Overdue: escalated to level %(level)s") % {"level": level},
        data={
            "level": level,
            "to": [u.pk for u in to],
            "step": case.clock,
            "step_due": local_iso(missed),
            "next_due": local_iso(next_due),
            "overdue": True,
        },
        **changes,
    )
    return level


# --- On time --------------------------------------------------------------------------------


@workflow.on_transition
def _stamp_on_time(outcome) -> None:
    """按期处置: a handling reported before its due (and never escalated as overdue)."""
    event, case = outcome.event, outcome.case
    if event.action == Action.HANDLE:  # a step without a limit is always on time
        due = outcome.before.get("due_at")
        on_time = due is None or (
            outcome.before.get("escalation_level", 0) == 0 and event.at <= due
        )
        case.handled_on_time = on_time
        Case.objects.filter(pk=case.pk).update(handled_on_time=on_time)
        event.data = {**(event.data or {}), "on_time": on_time}
        event.save(update_fields=["data"])
    elif event.action == Action.REWORK:
        case.handled_on_time = None
        Case.objects.filter(pk=case.pk).update(handled_on_time=None)
    elif event.action == Action.CLOSE and case.handled_on_time is None:
        # Closed without a recorded handling clock (an old case, a centre shortcut): judge
        # from the last handling event against its step's due, if there is one.
        last = (
            CaseEvent.objects.filter(case=case, action=Action.HANDLE)
            .order_by("-at", "-id")
            .values_list("data", flat=True)
            .first()
        )
        if last and "on_time" in last:
            case.handled_on_time = bool(last["on_time"])
            Case.objects.filter(pk=case.pk).update(handled_on_time=case.handled_on_time)


# --- Scheduling -----------------------------------------------------------------------------

TICK_TASK = "cases.deadline_tick"


def tick_dedupe_key(minute: dt.datetime) -> str:
    return f"{TICK_TASK}:{minute.astimezone(dt.UTC):%Y%m%d%H%M}"


def deadline_schedule(*, now: dt.datetime | None = None) -> object:
    """Enqueue the next run of the periodic deadline task (at the start of the next minute).

    The task enqueues its successor each time it runs, so calling this once starts the
    chain; the dedupe key (one per minute) keeps the chain single however often it is called.
    """
    from yemai.core.tasks import task_enqueue

    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return task_enqueue(name=TICK_TASK, run_at=minute, dedupe_key=tick_dedupe_key(minute))

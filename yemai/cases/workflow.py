"""The one door for every state change of a case (案卷流转).

``TRANSITIONS`` is the whole state machine: for each action, the states it may start from, the
state it leads to (``None``: the case stays where it is), and who may do it. ``case_transition``
checks that table, the actor's scope and their part in the case, stamps the state's timestamp,
restarts the step clock, writes the history row and the notices — all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.accounts.roles import Role
from yemai.core import statements

from .choices import OPEN_STATES, Action, Clock, Priority, State
from .models import Case, CaseEvent

S = State

# Who is acting: a signed-in user, the system (timers, routing, camera rules) or the resident
# who reported the case (proved by their tracking or rating token, no account).
SYSTEM = "system"
REPORTER = "reporter"

LEADERS = {Role.MICRO_LEADER, Role.VILLAGE_HEAD}
CENTRE = {Role.CENTRE_OPERATOR, Role.TOWN_HEAD}
SUPERVISORS = LEADERS | CENTRE
FIELD = {Role.MEMBER, Role.MICRO_LEADER}


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]  # may include SYSTEM and REPORTER
    assignee_only: bool = False  # field roles must be the case's assignee
    department_only: bool = False  # department liaisons must belong to the case's department


def rule(sources, target, roles, **kw) -> Rule:
    return Rule(frozenset(sources), target, frozenset(roles), **kw)


OPEN = OPEN_STATES
WORKING = {S.ACCEPTED, S.HANDLING}
TRANSITIONS: dict[str, Rule] = {
    Action.REGISTER: rule({S.REPORTED}, S.REGISTERED, SUPERVISORS | {SYSTEM}),
    Action.REJECT: rule({S.REPORTED}, S.REJECTED, SUPERVISORS | {SYSTEM}),
    Action.DISPATCH: rule({S.REGISTERED}, S.DISPATCHED, SUPERVISORS | {SYSTEM}),
    Action.ACCEPT: rule({S.DISPATCHED}, S.ACCEPTED, FIELD, assignee_only=True),
    Action.START: rule({S.ACCEPTED}, S.HANDLING, FIELD, assignee_only=True),
    Action.ESCALATE: rule(WORKING, S.ESCALATED, {Role.MEMBER}, assignee_only=True),
    Action.CONSULT: rule({S.ESCALATED, S.CONSULTING}, S.CONSULTING, SUPERVISORS),
    Action.REFER: rule({S.ESCALATED, S.CONSULTING}, S.REFERRED, SUPERVISORS),
    # The department signs for a referred case (签收): recorded, the case stays referred.
    Action.RECEIVE: rule({S.REFERRED}, None, {Role.DEPARTMENT}, department_only=True),
    Action.SEND_BACK: rule(
        {S.DISPATCHED, S.ACCEPTED, S.REFERRED},
        None,
        FIELD | {Role.DEPARTMENT} | CENTRE,
        assignee_only=True,
        department_only=True,
    ),
    Action.HANDLE: rule(
        WORKING | {S.ESCALATED, S.CONSULTING, S.REFERRED},
        S.HANDLED,
        FIELD | SUPERVISORS | {Role.DEPARTMENT},
        assignee_only=True,
        department_only=True,
    ),
    Action.VERIFY: rule({S.HANDLED}, S.VERIFIED, SUPERVISORS),
    Action.REWORK: rule({S.HANDLED, S.VERIFIED, S.CLOSED}, S.DISPATCHED, SUPERVISORS | {SYSTEM}),
    Action.CLOSE: rule({S.VERIFIED}, S.CLOSED, SUPERVISORS | {SYSTEM}),
    Action.PARK: rule(OPEN, S.PARKED, {Role.VILLAGE_HEAD} | CENTRE),
    Action.UNPARK: rule({S.PARKED}, None, {Role.VILLAGE_HEAD} | CENTRE),
    Action.WITHDRAW: rule(
        {S.REPORTED, S.REGISTERED, S.DISPATCHED}, S.WITHDRAWN, {REPORTER} | CENTRE
    ),
    Action.MERGE: rule(OPEN, S.REJECTED, SUPERVISORS | {SYSTEM}),
    # Steps that leave the state alone:
    Action.REQUEST_EXTENSION: rule(
        WORKING | {S.ESCALATED, S.CONSULTING, S.REFERRED},
        None,
        FIELD | {Role.DEPARTMENT},
        assignee_only=True,
        department_only=True,
    ),
    Action.APPROVE_EXTENSION: rule(OPEN, None, SUPERVISORS),
    Action.SUPERVISE: rule(OPEN, None, {SYSTEM} | CENTRE),
    Action.RATE: rule({S.CLOSED}, None, {REPORTER}),
    Action.FOLLOW_UP: rule({S.CLOSED}, None, SUPERVISORS),
    Action.COMMENT: rule(set(State.values), None, SUPERVISORS | FIELD | {Role.DEPARTMENT, SYSTEM}),
}

# The timestamp stamped when a case enters a state.
STAMPS = {
    S.REGISTERED: "registered_at",
    S.DISPATCHED: "dispatched_at",
    S.ACCEPTED: "accepted_at",
    S.HANDLED: "handled_at",
    S.VERIFIED: "verified_at",
    S.CLOSED: "closed_at",
}

# The clock that runs in each state; the handling clock runs on through escalation,
# consultation and referral (the limit is for the whole handling, not each hand).
CLOCKS = {
    S.DISPATCHED: Clock.ACCEPT,
    S.ACCEPTED: Clock.HANDLE,
    S.HANDLING: Clock.HANDLE,
    S.ESCALATED: Clock.HANDLE,
    S.CONSULTING: Clock.HANDLE,
    S.REFERRED: Clock.HANDLE,
    S.HANDLED: Clock.VERIFY,
}


CLOCK_FIELDS = (
    "clock",
    "clock_started_at",
    "limit_minutes",
    "warn_at",
    "due_at",
    "escalation_level",
)


@dataclass
class Actor:
    """Who acts: ``user`` for staff; ``kind`` SYSTEM or REPORTER otherwise."""

    user: object | None = None
    kind: str = "user"
    label: str = ""

    @property
    def role(self) -> str:
        return self.kind if self.kind != "user" else (getattr(self.user, "role", "") or "")

    def describe(self) -> str:
        if self.kind == SYSTEM:
            return self.label or _("System")
        if self.kind == REPORTER:
            return self.label or _("Reporter")
        return self.label or str(self.user)


def system(label: str = "") -> Actor:
    return Actor(kind=SYSTEM, label=label)


def reporter(label: str = "") -> Actor:
    return Actor(kind=REPORTER, label=label)


def as_actor(user_or_actor) -> Actor:
    return user_or_actor if isinstance(user_or_actor, Actor) else Actor(user=user_or_actor)


@dataclass
class Outcome:
    event: CaseEvent
    case: Case
    notices: list[tuple[str, dict]] = field(default_factory=list)
    # The step clock as it was before the transition (hooks judge "on time" from it).
    before: dict = field(default_factory=dict)


# Hooks run inside the transaction after every transition, e.g. to write notices to the outbox
# (``notify``) or to start a rework clock. Registered by the modules that own those effects.
_after_transition: list[Callable[[Outcome], None]] = []


def on_transition(fn: Callable[[Outcome], None]) -> Callable[[Outcome], None]:
    _after_transition.append(fn)
    return fn


def allowed_actions(case: Case, actor) -> list[str]:
    """The actions this actor may take on this case now (for buttons and the API)."""
    actor = as_actor(actor)
    state, role = case.state, actor.role
    # The state and the role rule out most actions; only the rest need the finer checks
    # (and no refusal message is written for an action that is not shown).
    return [
        action
        for action, rule_ in TRANSITIONS.items()
        if state in rule_.sources and role in rule_.roles and _refusal(case, action, actor) is None
    ]


def _in_scope(case: Case, user) -> bool:
    return Case.objects.restrict(user).filter(pk=case.pk).exists()


def _refusal(case: Case, action: str, actor: Actor) -> str | None:
    """None if allowed, else the reason (translated) why not."""
    rule_ = TRANSITIONS.get(action)
    if rule_ is None:
        return _("Unknown action %(action)s") % {"action": action}
    if case.state not in rule_.sources:
        return _("A case that is %(state)s cannot be given “%(action)s”") % {
            "state": State(case.state).label,
            "action": Action(action).label,
        }
    role = actor.role
    if role not in rule_.roles:
        return _("Your role may not do “%(action)s”") % {"action": Action(action).label}
    if actor.kind != "user":
        return None
    if role == Role.DEPARTMENT:
        if rule_.department_only and (
            case.state != S.REFERRED or case.department_id != actor.user.department_id
        ):
            return _("This case is not with your department")
        return None
    if rule_.assignee_only and role in FIELD - SUPERVISORS and case.assignee_id != actor.user.pk:
        return _("This case is not assigned to you")
    if (
        rule_.assignee_only
        and role == Role.MICRO_LEADER
        and action in {Action.ACCEPT, Action.START}
        and case.assignee_id != actor.user.pk
    ):
        return _("This case is not assigned to you")
    return None


def _restart_clock(case: Case, now) -> None:
    from .calendar import WorkCalendar, deadline  # noqa: PLC0415 — keeps the import graph light

    clock = CLOCKS.get(case.state)
    if clock is None:
        case.clock, case.clock_started_at, case.limit_minutes = "", None, None
        case.warn_at = case.due_at = None
        case.warned = False
        return
    if case.clock == clock and case.due_at is not None:
        return  # the same step's clock runs on
    from django.conf import settings

    hours = float(case.category.hours_for(clock))
    case.clock, case.clock_started_at = clock, now
    case.escalation_level, case.warned = 0, False
    if hours <= 0:
        case.limit_minutes = None
        case.warn_at = case.due_at = None
        return
    minutes = round(hours * 60)
    wall = case.priority == Priority.URGENT
    case.limit_minutes = minutes
    calendar = None if wall else WorkCalendar()
    case.warn_at = deadline(
        now, minutes * settings.CASE_WARN_RATIO, wall_clock=wall, calendar=calendar
    )
    case.due_at = deadline(now, minutes, wall_clock=wall, calendar=calendar)


def _step(
    case: Case,
    action: str,
    actor: Actor,
    *,
    now,
    note: str = "",
    lon: float | None = None,
    lat: float | None = None,
    data: dict | None = None,
    target: str | None = None,
    changes: dict,
) -> tuple[CaseEvent, dict, set[str]]:
    """Check ``action`` against the table and apply it to ``case`` in memory.

    Returns the history row (not saved yet), the step clock as it was, and the columns set.
    """
    reason = _refusal(case, action, actor)
    if reason is not None:
        if action in TRANSITIONS and case.state not in TRANSITIONS[action].sources:
            raise ValidationError({"action": [reason]})
        raise PermissionDenied(reason)
    rule_ = TRANSITIONS[action]
    new_state = target or rule_.target or case.state
    old_state = case.state
    before = {name: getattr(case, name) for name in CLOCK_FIELDS}
    for name, value in changes.items():
        setattr(case, name, value)
    if action == Action.REWORK:
        case.rework_count += 1  # 返工率 (metrics) counts the cases with any rework
    case.state = new_state
    dirty = {"state", "updated_at", "rework_count", *changes}
    if new_state != old_state and new_state in STAMPS:
        setattr(case, STAMPS[new_state], now)
        dirty.add(STAMPS[new_state])
    if new_state != old_state:
        _restart_clock(case, now)
        dirty.update((*CLOCK_FIELDS, "warned"))
    event = CaseEvent(
        case=case,
        action=action,
        from_state=old_state,
        to_state=new_state,
        actor=actor.user if actor.kind == "user" else None,
        actor_label=actor.describe()[:80],
        at=now,
        note=note or "",
        lon=lon,
        lat=lat,
        data=data or {},
    )
    return event, before, dirty


def _hooks_run(outcome: Outcome) -> None:
    for hook in _after_transition:
        hook(outcome)


@transaction.atomic
def case_transition(
    *,
    case: Case,
    action: str,
    actor,
    note: str = "",
    lon: float | None = None,
    lat: float | None = None,
    data: dict | None = None,
    target: str | None = None,
    now=None,
    **changes,
) -> Outcome:
    """Apply ``action`` to ``case`` as ``actor``; raise PermissionDenied / ValidationError.

    ``changes`` are field values set with the transition (``assignee``, ``department`` …);
    ``target`` overrides the rule's target state where the rule leaves it open (send back,
    resume). The case row is read again and locked first, so two people acting at once are
    applied one after the other, each on the state the other left.
    """
    actor = as_actor(actor)
    now = now or timezone.now()
    case = Case.objects.select_for_update().select_related("category").get(pk=case.pk)
    if actor.kind == "user" and not _in_scope(case, actor.user):
        raise Http404
    event, before, dirty = _step(
        case,
        action,
        actor,
        now=now,
        note=note,
        lon=lon,
        lat=lat,
        data=data,
        target=target,
        changes=changes,
    )
    # Only what this transition set needs checking; the rest was valid when it was stored.
    case.full_clean(
        exclude=[f.name for f in Case._meta.fields if f.name not in changes],
        validate_unique=False,
        validate_constraints=False,
    )
    case.save(update_fields=sorted(dirty))  # the columns this step set, not all 45
    event.save()
    outcome = Outcome(event=event, case=case, before=before)
    _hooks_run(outcome)
    return outcome


class IntakeSteps:
    """The first steps of a case that is not stored yet (intake: 立案 and 派遣 by routing).

    ``apply`` checks each step against the same table as ``case_transition`` and applies it
    in memory, so the case is inserted once, already in its state, with its clock running;
    ``record`` then writes the history rows in one statement and runs the hooks (notices …)
    in order, as ``case_transition`` would have one step at a time.
    """

    def __init__(self, case: Case, *, now):
        self.case, self.now = case, now
        self.pending: list[tuple[CaseEvent, dict]] = []

    def apply(self, action: str, actor, *, data: dict | None = None, **changes) -> None:
        event, before, _dirty = _step(
            self.case, action, as_actor(actor), now=self.now, data=data, changes=changes
        )
        self.pending.append((event, before))

    @transaction.atomic(savepoint=False)  # always inside the intake's transaction
    def record(self, first: list[CaseEvent]) -> list[Outcome]:
        """Write ``first`` (the rows before the steps, e.g. 上报) and the steps' rows; hooks."""
        if self.case.pk is None:
            raise ValueError("record() needs the case stored first")
        events = [*first, *(event for event, _before in self.pending)]
        for event in events:
            event.case = self.case  # the case has its id now
        statements.insert_many(events)
        # The new case's first rows, for the intake's answer (``case_detail(fresh_events=…)``):
        # it need not read back what it has just written.
        self.case.intake_events = events
        outcomes = [
            Outcome(event=event, case=self.case, before=before) for event, before in self.pending
        ]
        for outcome in outcomes:
            _hooks_run(outcome)
        return outcomes

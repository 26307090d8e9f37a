"""Deadlines (时限): clock colours, the reminder, and overdue steps escalating by themselves up
the chain (微网格长 → 村居网格长 → 中心督办), one level per limit, in working time."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import make_user
from yemai.accounts.roles import Role
from yemai.cases import deadlines
from yemai.cases.choices import Action, Source, State
from yemai.cases.deadlines import clock_colour, deadline_tick
from yemai.cases.models import Case, CaseEvent, Holiday
from yemai.cases.services import case_report
from yemai.cases.workflow import case_transition
from yemai.core.models import Task
from yemai.grids.choices import TeamKind
from yemai.grids.models import Team, TeamMember
from yemai.notify.models import Notice

from .conftest import IN_DONGMEN1, IN_XIMEN1

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SHANGHAI)


def report(t, when, where=IN_DONGMEN1):
    # 占道经营: 0.5 working hours to accept, 4 to handle, 4 to verify.
    case, _ = case_report(
        source=Source.RESIDENT,
        category=t.stall,
        description="门口摆摊",
        reporter_name="居民甲",
        reporter_phone="13800138000",
        now=when,
        **where,
    )
    return case


def notices(template, user=None):
    qs = Notice.objects.filter(template=template)
    if user is not None:
        qs = qs.filter(user=user)
    return qs


def escalations(case):
    return [
        (e.data["level"], e.data["to"])
        for e in CaseEvent.objects.filter(case=case, action=Action.SUPERVISE)
    ]


@pytest.fixture
def t(loop_town):
    return loop_town


def test_it_walks_an_unaccepted_case_up_the_chain_one_level_per_limit(t):
    monday = "2025-09-22"
    case = report(t, at(monday, "09:00"))
    assert case.due_at == at(monday, "09:30") and case.warn_at == at(monday, "09:24")
    assert clock_colour(case, at(monday, "09:10")) == "green"

    assert deadline_tick(now=at(monday, "09:10")).reminded == []
    result = deadline_tick(now=at(monday, "09:25"))
    assert result.reminded == [case.pk]
    assert notices("case.reminder", t.dongmen1_member).count() == 1
    case.refresh_from_db()
    assert clock_colour(case, at(monday, "09:25")) == "yellow"
    deadline_tick(now=at(monday, "09:26"))
    assert notices("case.reminder").count() == 1  # reminded once

    assert deadline_tick(now=at(monday, "09:31")).escalated == [(case.pk, 1)]
    case.refresh_from_db()
    assert case.escalation_level == 1 and case.due_at == at(monday, "10:00")
    assert clock_colour(case, at(monday, "09:31")) == "red"
    assert escalations(case) == [(1, [t.dongmen1_leader.pk])]
    assert notices("case.overdue", t.dongmen1_leader).count() == 1

    assert deadline_tick(now=at(monday, "09:45")).escalated == []  # next level waits a limit
    assert deadline_tick(now=at(monday, "10:00")).escalated == [(case.pk, 2)]
    assert notices("case.overdue", t.dongmen_head).count() == 1
    assert deadline_tick(now=at(monday, "10:30")).escalated == [(case.pk, 3)]
    assert notices("case.overdue", t.operator).count() == 1  # 督办
    assert deadline_tick(now=at(monday, "15:00")).escalated == []  # the chain ends at the centre
    assert escalations(case) == [
        (1, [t.dongmen1_leader.pk]),
        (2, [t.dongmen_head.pk]),
        (3, [t.operator.pk]),
    ]
    event = CaseEvent.objects.filter(case=case, action=Action.SUPERVISE).first()
    assert event.actor is None and event.to_state == State.DISPATCHED
    assert event.data["step_due"] == at(monday, "09:30").isoformat()
    case.refresh_from_db()
    assert clock_colour(case, at(monday, "15:00")) == "red"


def test_a_case_reported_late_on_friday_is_due_on_monday_not_at_the_weekend(t):
    case = report(t, at("2025-09-26", "17:10"))  # 20 working minutes left on Friday
    assert case.due_at == at("2025-09-29", "08:40")
    assert deadline_tick(now=at("2025-09-27", "10:00")).reminded == []
    assert deadline_tick(now=at("2025-09-28", "23:00")).escalated == []
    assert deadline_tick(now=at("2025-09-29", "08:35")).reminded == [case.pk]
    assert deadline_tick(now=at("2025-09-29", "08:41")).escalated == [(case.pk, 1)]


def test_holidays_stop_the_clock_and_a_worked_saturday_runs_it(t):
    for day in ("2025-10-01", "2025-10-02", "2025-10-03"):
        Holiday.objects.create(date=dt.date.fromisoformat(day), name="国庆")
    Holiday.objects.create(date=dt.date(2025, 10, 4), is_working_day=True, name="国庆调休")
    case = report(t, at("2025-09-30", "17:20"))  # 10 minutes on Tuesday, 20 after the holiday
    assert case.due_at == at("2025-10-04", "08:50")  # the worked Saturday
    assert deadline_tick(now=at("2025-10-02", "12:00")).escalated == []
    assert deadline_tick(now=at("2025-10-04", "08:51")).escalated == [(case.pk, 1)]


def test_the_handling_clock_escalates_to_the_leader_then_the_village_head(t):
    monday = "2025-09-22"
    case = report(t, at(monday, "09:00"))
    case_transition(
        case=case, action=Action.ACCEPT, actor=t.dongmen1_member, now=at(monday, "09:10")
    )
    case.refresh_from_db()
    assert case.clock == "handle" and case.due_at == at(monday, "14:40")  # 4 h with lunch
    assert deadline_tick(now=at(monday, "14:41")).escalated == [(case.pk, 1)]
    case.refresh_from_db()
    assert case.due_at == at("2025-09-23", "09:40")  # another 4 working hours
    assert deadline_tick(now=at("2025-09-23", "09:40")).escalated == [(case.pk, 2)]


def test_an_escalated_case_is_with_the_leader_and_the_reminder_goes_to_them(t):
    monday = "2025-09-22"
    case = report(t, at(monday, "09:00"))
    step = lambda a, who, hhmm: case_transition(  # noqa: E731
        case=case, action=a, actor=who, now=at(monday, hhmm)
    )
    step(Action.ACCEPT, t.dongmen1_member, "09:05")
    step(Action.ESCALATE, t.dongmen1_member, "09:06")
    # the handling clock runs on: 4 h from 09:05 → 14:35, warning at 80 % (3 h 12 min)
    assert deadline_tick(now=at(monday, "13:48")).reminded == [case.pk]
    assert notices("case.reminder", t.dongmen1_leader).count() == 1
    assert not notices("case.reminder", t.dongmen1_member).exists()


def test_a_level_nobody_holds_is_passed_over(t):
    # 西门1 has no micro-grid leader account: the first escalation goes to the village head.
    case = report(t, at("2025-09-22", "09:00"), where=IN_XIMEN1)
    assert case.assignee == t.ximen1_member
    assert deadline_tick(now=at("2025-09-22", "09:31")).escalated == [(case.pk, 2)]
    assert escalations(case) == [(2, [t.ximen_head.pk])]


def test_the_leader_of_the_management_team_counts_as_the_micro_grid_leader(t):
    party_leader = make_user("ximen1_party", Role.MEMBER, t.ximen1)
    TeamMember.objects.create(
        team=Team.objects.get(grid=t.ximen1, kind=TeamKind.MANAGEMENT),
        user=party_leader,
        name="周书记",
        is_leader=True,
    )
    case = report(t, at("2025-09-22", "09:00"), where=IN_XIMEN1)
    assert deadline_tick(now=at("2025-09-22", "09:31")).escalated == [(case.pk, 1)]
    assert escalations(case) == [(1, [party_leader.pk])]
    assert notices("case.overdue", party_leader).count() == 1


def test_every_centre_operator_of_the_town_is_told_at_level_three(t):
    second = make_user("operator2", Role.CENTRE_OPERATOR, t.town)
    case = report(t, at("2025-09-22", "09:00"))
    for hhmm in ("09:31", "10:00", "10:30"):
        deadline_tick(now=at("2025-09-22", hhmm))
    assert escalations(case)[-1] == (3, [t.operator.pk, second.pk])
    assert notices("case.overdue", second).count() == 1


def test_a_row_claimed_by_another_worker_is_left_alone_until_its_lease_ends(t):
    case = report(t, at("2025-09-22", "09:00"))
    now = at("2025-09-22", "09:31")
    Case.objects.filter(pk=case.pk).update(deadline_claimed_until=now + dt.timedelta(minutes=2))
    result = deadline_tick(now=now)
    assert result.escalated == [] and escalations(case) == []
    assert deadline_tick(now=now + dt.timedelta(minutes=3)).escalated == [(case.pk, 1)]
    case.refresh_from_db()
    assert case.deadline_claimed_until is None  # released when done


def test_two_rounds_at_the_same_minute_escalate_once(t):
    case = report(t, at("2025-09-22", "09:00"))
    now = at("2025-09-22", "09:31")
    deadline_tick(now=now)
    deadline_tick(now=now)
    assert escalations(case) == [(1, [t.dongmen1_leader.pk])]


def test_closed_withdrawn_and_parked_cases_have_no_clock(t):
    case = report(t, at("2025-09-22", "09:00"))
    case_transition(case=case, action=Action.PARK, actor=t.dongmen_head, note="等待拆迁")
    case.refresh_from_db()
    assert clock_colour(case, at("2025-09-22", "09:31")) == "none"
    assert deadline_tick(now=at("2025-09-22", "12:00")).escalated == []


def test_it_stamps_a_handling_reported_before_its_due_as_on_time(t):
    monday = "2025-09-22"
    case = report(t, at(monday, "09:00"))
    step = lambda a, who, hhmm: case_transition(  # noqa: E731
        case=case, action=a, actor=who, now=at(monday, hhmm)
    )
    step(Action.ACCEPT, t.dongmen1_member, "09:10")
    step(Action.HANDLE, t.dongmen1_member, "14:00")  # due 14:40
    case.refresh_from_db()
    assert case.handled_on_time is True
    step(Action.VERIFY, t.dongmen1_leader, "14:30")
    step(Action.CLOSE, t.dongmen1_leader, "14:31")
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.handled_on_time is True


def test_it_stamps_a_late_handling_as_late_even_before_any_escalation(t):
    monday = "2025-09-22"
    case = report(t, at(monday, "09:00"))
    case_transition(
        case=case, action=Action.ACCEPT, actor=t.dongmen1_member, now=at(monday, "09:10")
    )
    case_transition(
        case=case, action=Action.HANDLE, actor=t.dongmen1_member, now=at(monday, "15:00")
    )
    case.refresh_from_db()
    assert case.handled_on_time is False


def test_an_escalated_handling_is_late_however_the_due_moved(t):
    monday = "2025-09-22"
    case = report(t, at(monday, "09:00"))
    case_transition(
        case=case, action=Action.ACCEPT, actor=t.dongmen1_member, now=at(monday, "09:10")
    )
    deadline_tick(now=at(monday, "14:41"))  # level 1; the next level is due tomorrow
    case_transition(
        case=case, action=Action.HANDLE, actor=t.dongmen1_member, now=at(monday, "15:00")
    )
    case.refresh_from_db()
    assert case.handled_on_time is False


def test_yemai_deadlines_once_runs_one_round(t):
    case = report(t, at("2025-09-22", "09:00"))
    out = StringIO()
    call_command("deadlines", "--once", "--now", "2025-09-22T09:31:00+08:00", stdout=out)
    assert "1 escalated" in out.getvalue()
    assert escalations(case) == [(1, [t.dongmen1_leader.pk])]


def test_the_periodic_task_runs_the_watch_and_schedules_the_next_minute(t):
    from yemai.core.tasks import Runner

    long_ago = timezone.now() - dt.timedelta(days=30)
    case = report(t, long_ago)  # its accept clock ran out weeks ago
    first = deadlines.deadline_schedule(now=long_ago)
    again = deadlines.deadline_schedule(now=long_ago)
    assert first.pk == again.pk  # one pending task per minute
    assert Runner(worker_id="test").run_due(limit=1) == 1
    case.refresh_from_db()
    assert case.escalation_level == 1
    pending = Task.objects.filter(name="cases.deadline_tick", state=Task.State.PENDING)
    assert pending.count() == 1 and pending.get().run_at > timezone.now()


def test_a_step_without_a_limit_is_always_handled_on_time(t):
    t.stall.handle_hours = 0
    t.stall.save()
    case = report(t, at("2025-09-22", "09:00"))
    case_transition(case=case, action=Action.ACCEPT, actor=t.dongmen1_member)
    case.refresh_from_db()
    assert case.due_at is None and clock_colour(case) == "none"
    case_transition(case=case, action=Action.HANDLE, actor=t.dongmen1_member)
    case.refresh_from_db()
    assert case.handled_on_time is True


def test_starting_task_runners_starts_the_deadline_watch(db):
    import threading

    from yemai.core.tasks import runner_threads_start

    stop = threading.Event()
    stop.set()  # the threads end at once; starting them is what schedules the chain
    runner_threads_start(stop)
    assert Task.objects.filter(name=deadlines.TICK_TASK, done_at__isnull=True).count() == 1
    runner_threads_start(stop)  # a second start does not make a second chain
    assert Task.objects.filter(name=deadlines.TICK_TASK, done_at__isnull=True).count() == 1

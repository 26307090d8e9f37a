"""More time (延期) asked by whoever has the step and decided by a supervisor; parking (挂账)
that stops the clock and resumes it with the time that was left."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from yemai.cases.choices import Action, Source, State
from yemai.cases.deadlines import clock_colour, deadline_tick
from yemai.cases.extensions import (
    case_park,
    case_unpark,
    extension_approve,
    extension_pending,
    extension_refuse,
    extension_request,
)
from yemai.cases.models import CaseEvent
from yemai.cases.services import case_report
from yemai.cases.workflow import case_transition
from yemai.notify.models import Notice

from .conftest import IN_DONGMEN1

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY, TUESDAY, WEDNESDAY = "2025-09-22", "2025-09-23", "2025-09-24"


def at(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SHANGHAI)


@pytest.fixture
def t(loop_town):
    return loop_town


@pytest.fixture
def case(t):
    """占道经营 accepted on Monday 09:10: handle by 14:40, warning at 13:52."""
    case, _ = case_report(
        source=Source.RESIDENT,
        category=t.stall,
        description="门口摆摊",
        reporter_phone="13800138000",
        now=at(MONDAY, "09:00"),
        **IN_DONGMEN1,
    )
    case_transition(
        case=case, action=Action.ACCEPT, actor=t.dongmen1_member, now=at(MONDAY, "09:10")
    )
    case.refresh_from_db()
    assert case.due_at == at(MONDAY, "14:40") and case.warn_at == at(MONDAY, "13:52")
    return case


def test_the_member_asks_for_more_time_and_the_due_time_waits_for_a_decision(t, case):
    event = extension_request(
        case=case,
        actor=t.dongmen1_member,
        hours=4,
        reason="摊主外出，明天再处理",
        now=at(MONDAY, "10:00"),
    )
    case.refresh_from_db()
    assert event.action == Action.REQUEST_EXTENSION
    assert event.data["hours"] == 4 and event.data["reason"] == "摊主外出，明天再处理"
    assert case.due_at == at(MONDAY, "14:40")  # unchanged until approved
    assert extension_pending(case) == event
    assert Notice.objects.filter(
        template="case.extension_requested", user=t.dongmen1_leader
    ).exists()


def test_a_request_needs_hours_and_a_reason_and_only_one_waits_at_a_time(t, case):
    with pytest.raises(ValidationError) as err:
        extension_request(case=case, actor=t.dongmen1_member, hours="many", reason="x")
    assert "hours" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        extension_request(case=case, actor=t.dongmen1_member, hours=0, reason="x")
    assert "hours" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        extension_request(case=case, actor=t.dongmen1_member, hours=2, reason="  ")
    assert "reason" in err.value.message_dict
    extension_request(case=case, actor=t.dongmen1_member, hours=2, reason="等材料")
    with pytest.raises(ValidationError, match="already waiting"):
        extension_request(case=case, actor=t.dongmen1_member, hours=2, reason="再等等")
    assert CaseEvent.objects.filter(case=case, action=Action.REQUEST_EXTENSION).count() == 1


def test_only_the_person_with_the_step_may_ask(t, case):
    with pytest.raises(Http404):  # another micro-grid's member does not even see it
        extension_request(case=case, actor=t.ximen1_member, hours=2, reason="x")
    with pytest.raises(Http404):  # a department sees only what is referred to it
        extension_request(case=case, actor=t.liaison, hours=2, reason="x")
    with pytest.raises(PermissionDenied):  # the village head does not hold the step
        extension_request(case=case, actor=t.dongmen_head, hours=2, reason="x")


def test_an_approval_moves_the_due_and_warning_by_the_working_time_approved(t, case):
    extension_request(
        case=case, actor=t.dongmen1_member, hours=4, reason="等材料", now=at(MONDAY, "10:00")
    )
    case = extension_approve(case=case, actor=t.dongmen1_leader, now=at(MONDAY, "11:00"))
    # 14:40 + 4 working hours: 170 minutes on Monday, 70 on Tuesday morning.
    assert case.due_at == at(TUESDAY, "09:40")
    assert case.warn_at == at(TUESDAY, "08:52")
    approval = CaseEvent.objects.get(case=case, action=Action.APPROVE_EXTENSION)
    assert approval.data["hours"] == 4 and approval.data["requested_by"] == t.dongmen1_member.pk
    assert extension_pending(case) is None
    assert Notice.objects.filter(
        template="case.extension_approved", user=t.dongmen1_member
    ).exists()
    assert deadline_tick(now=at(MONDAY, "15:00")).escalated == []  # no longer overdue


def test_the_supervisor_may_approve_fewer_hours_than_asked(t, case):
    extension_request(case=case, actor=t.dongmen1_member, hours=8, reason="等材料")
    case = extension_approve(case=case, actor=t.dongmen_head, hours=1, now=at(MONDAY, "11:00"))
    assert case.due_at == at(MONDAY, "15:40")


def test_an_approval_after_escalation_starts_the_chain_again_from_the_real_due(t, case):
    extension_request(
        case=case,
        actor=t.dongmen1_member,
        hours=8,
        reason="需要市场监管配合",
        now=at(MONDAY, "14:00"),
    )
    assert deadline_tick(now=at(MONDAY, "14:41")).escalated == [(case.pk, 1)]
    case.refresh_from_db()
    assert case.escalation_level == 1 and clock_colour(case, at(MONDAY, "15:00")) == "red"
    case = extension_approve(case=case, actor=t.dongmen1_leader, now=at(MONDAY, "15:00"))
    assert case.escalation_level == 0
    assert case.due_at == at(TUESDAY, "15:10")  # 14:40 + 8 h, not the moved escalation time
    assert clock_colour(case, at(MONDAY, "15:00")) == "green"
    assert deadline_tick(now=at(TUESDAY, "14:23")).reminded == [case.pk]  # reminded again


def test_nobody_approves_their_own_request(t, case):
    case_transition(case=case, action=Action.ESCALATE, actor=t.dongmen1_member)
    # The leader, now holding the escalated case, asks the village head for more time.
    extension_request(case=case, actor=t.dongmen1_leader, hours=2, reason="会商未定")
    with pytest.raises(PermissionDenied):
        extension_approve(case=case, actor=t.dongmen1_leader)
    with pytest.raises(PermissionDenied):
        extension_approve(case=case, actor=t.dongmen1_member)
    extension_approve(case=case, actor=t.dongmen_head)


def test_a_supervisor_outside_the_grid_cannot_decide(t, case):
    extension_request(case=case, actor=t.dongmen1_member, hours=2, reason="x")
    with pytest.raises(Http404):
        extension_approve(case=case, actor=t.ximen_head)
    with pytest.raises(Http404):
        extension_refuse(case=case, actor=t.ximen_head, reason="不行")


def test_a_refusal_is_a_note_and_the_due_stays(t, case):
    extension_request(case=case, actor=t.dongmen1_member, hours=4, reason="等材料")
    with pytest.raises(ValidationError) as err:
        extension_refuse(case=case, actor=t.dongmen1_leader, reason="")
    assert "reason" in err.value.message_dict
    event = extension_refuse(case=case, actor=t.dongmen1_leader, reason="今天必须处理完")
    case.refresh_from_db()
    assert event.action == Action.COMMENT and event.data["extension"] == "refused"
    assert event.note == "今天必须处理完"
    assert case.due_at == at(MONDAY, "14:40")
    assert extension_pending(case) is None
    notice = Notice.objects.get(template="case.extension_refused", user=t.dongmen1_member)
    assert "今天必须处理完" in notice.text
    extension_request(case=case, actor=t.dongmen1_member, hours=1, reason="再宽限一小时")


def test_there_is_nothing_to_refuse_or_approve_without_a_request(t, case):
    with pytest.raises(ValidationError):
        extension_refuse(case=case, actor=t.dongmen1_leader, reason="no")
    with pytest.raises(ValidationError):
        extension_approve(case=case, actor=t.dongmen1_leader)
    # but a supervisor may give time unasked
    case = extension_approve(case=case, actor=t.dongmen1_leader, hours=1)
    assert case.due_at == at(MONDAY, "15:40")


def test_parking_stops_the_clock_and_resuming_gives_back_the_time_left(t, case):
    case = case_park(
        case=case, actor=t.dongmen_head, reason="等待拆迁安置方案", now=at(MONDAY, "11:00")
    )
    assert case.state == State.PARKED and case.park_reason == "等待拆迁安置方案"
    assert case.due_at is None and clock_colour(case) == "none"
    park = CaseEvent.objects.get(case=case, action=Action.PARK)
    assert park.data["remaining_minutes"] == 130  # 11:00–12:00 and 13:30–14:40
    assert deadline_tick(now=at(TUESDAY, "12:00")).escalated == []

    case = case_unpark(case=case, actor=t.dongmen_head, now=at(WEDNESDAY, "09:00"))
    assert case.state == State.ACCEPTED and case.clock == "handle"
    assert case.due_at == at(WEDNESDAY, "11:10")  # 130 working minutes on
    assert case.warn_at == at(WEDNESDAY, "10:22")  # the warning had 82 minutes to go
    assert case.parked_from == "" and case.park_reason == ""
    assert Notice.objects.filter(template="case.resumed", user=t.dongmen1_member).exists()
    case.refresh_from_db()
    assert case.due_at == at(WEDNESDAY, "11:10")


def test_parking_needs_a_reason_and_a_head_or_the_centre(t, case):
    with pytest.raises(ValidationError) as err:
        case_park(case=case, actor=t.dongmen_head, reason="")
    assert "reason" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        case_park(case=case, actor=t.dongmen1_member, reason="太难了")
    with pytest.raises(ValidationError):
        case_unpark(case=case, actor=t.dongmen_head)  # not parked


def test_an_overdue_case_parked_and_resumed_goes_on_up_the_chain(t, case):
    deadline_tick(now=at(MONDAY, "14:41"))  # level 1, next level Tuesday 09:40
    case = case_park(case=case, actor=t.operator, reason="等待上级批复", now=at(MONDAY, "15:40"))
    case = case_unpark(case=case, actor=t.operator, now=at(WEDNESDAY, "09:00"))
    assert case.escalation_level == 1 and clock_colour(case, at(WEDNESDAY, "09:00")) == "red"
    # 15:40–17:30 (110) + Tuesday 08:30–09:40 (70) were left before level 2.
    assert case.due_at == at(WEDNESDAY, "12:00")
    assert deadline_tick(now=at(WEDNESDAY, "12:00")).escalated == [(case.pk, 2)]

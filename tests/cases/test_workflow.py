"""The state machine: the whole loop, and the steps it refuses."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from yemai.cases.choices import Action, Source, State
from yemai.cases.models import CaseEvent
from yemai.cases.services import case_report
from yemai.cases.workflow import allowed_actions, case_transition, reporter

from .conftest import IN_DONGMEN1, OUTSIDE


def report(t, where=IN_DONGMEN1, **kw):
    case, _ = case_report(
        source=Source.RESIDENT,
        category=t.stall,
        description="门口摆摊",
        reporter_name="居民甲",
        reporter_phone="13800138000",
        **{**where, **kw},
    )
    return case


def test_a_resident_report_is_routed_to_the_member_on_duty(loop_town):
    case = report(loop_town)
    assert case.grid == loop_town.dongmen1
    assert case.state == State.DISPATCHED
    assert case.assignee == loop_town.dongmen1_member
    assert case.due_at is not None and case.clock == "accept"
    assert [e.action for e in case.events.all()] == ["report", "register", "dispatch"]


def test_a_report_outside_every_grid_waits_in_the_centres_queue(loop_town):
    case = report(loop_town, where=OUTSIDE)
    assert case.state == State.REPORTED
    assert case.grid == loop_town.town
    assert case.assignee is None


def test_the_whole_loop_runs_through_escalation_consultation_and_a_department(loop_town):
    t = loop_town
    case = report(t)
    step = lambda action, who, **kw: case_transition(case=case, action=action, actor=who, **kw)  # noqa: E731
    step(Action.ACCEPT, t.dongmen1_member)
    step(Action.ESCALATE, t.dongmen1_member, note="摊主不配合")
    step(Action.CONSULT, t.dongmen1_leader, data={"participants": [t.dongmen1_member_row.pk]})
    step(Action.REFER, t.dongmen1_leader, department=t.chengguan)
    step(Action.HANDLE, t.liaison, note="已劝离")
    step(Action.VERIFY, t.dongmen1_leader)
    outcome = step(Action.CLOSE, t.dongmen1_leader)
    case = outcome.case
    assert case.state == State.CLOSED
    assert case.closed_at is not None and case.handled_at is not None
    assert case.due_at is None
    history = list(CaseEvent.objects.filter(case=case).values_list("action", "to_state"))
    assert history[-7:] == [
        ("accept", "accepted"),
        ("escalate", "escalated"),
        ("consult", "consulting"),
        ("refer", "referred"),
        ("handle", "handled"),
        ("verify", "verified"),
        ("close", "closed"),
    ]


def test_it_refuses_to_verify_before_handling(loop_town):
    case = report(loop_town)
    with pytest.raises(ValidationError):
        case_transition(case=case, action=Action.VERIFY, actor=loop_town.dongmen1_leader)


def test_a_member_cannot_act_on_another_members_case(loop_town):
    case = report(loop_town)
    with pytest.raises(Http404):  # another micro-grid: not even there
        case_transition(case=case, action=Action.ACCEPT, actor=loop_town.ximen1_member)
    with pytest.raises(Http404):
        case_transition(case=case, action=Action.ACCEPT, actor=loop_town.dongmen2_member)


def test_a_department_sees_and_acts_only_on_cases_referred_to_it(loop_town):
    from yemai.cases.models import Case

    case = report(loop_town)
    case_transition(case=case, action=Action.ACCEPT, actor=loop_town.dongmen1_member)
    assert not Case.objects.restrict(loop_town.liaison).filter(pk=case.pk).exists()
    with pytest.raises(Http404):
        case_transition(case=case, action=Action.HANDLE, actor=loop_town.liaison)
    case_transition(case=case, action=Action.ESCALATE, actor=loop_town.dongmen1_member)
    case_transition(
        case=case,
        action=Action.REFER,
        actor=loop_town.dongmen1_leader,
        department=loop_town.chengguan,
    )
    assert Case.objects.restrict(loop_town.liaison).filter(pk=case.pk).exists()
    with pytest.raises(PermissionDenied):  # signing for it is the department's, not the leader's
        case_transition(case=case, action=Action.RECEIVE, actor=loop_town.dongmen1_leader)
    case.refresh_from_db()
    assert Action.RECEIVE in allowed_actions(case, loop_town.liaison)
    signed = case_transition(
        case=case, action=Action.RECEIVE, actor=loop_town.liaison, note="已签收，今日处置"
    )
    assert signed.case.state == State.REFERRED and signed.event.action == Action.RECEIVE
    assert signed.event.actor == loop_town.liaison
    case_transition(case=case, action=Action.HANDLE, actor=loop_town.liaison)
    with pytest.raises(PermissionDenied):  # in its sight, but not its to verify
        case_transition(case=case, action=Action.VERIFY, actor=loop_town.liaison)


def test_the_reporter_may_withdraw_before_work_starts(loop_town):
    case = report(loop_town)
    case_transition(case=case, action=Action.WITHDRAW, actor=reporter("居民甲"))
    case.refresh_from_db()
    assert case.state == State.WITHDRAWN


def test_buttons_offer_only_allowed_actions(loop_town):
    case = report(loop_town)
    assert "accept" in allowed_actions(case, loop_town.dongmen1_member)
    assert "verify" not in allowed_actions(case, loop_town.dongmen1_leader)


def test_an_idempotency_key_gives_one_case(loop_town):
    first, created = case_report(
        source=Source.CAMERA,
        category=loop_town.stall,
        description="摄像头发现",
        idempotency_key="cam1:z1:t9",
        **IN_DONGMEN1,
    )
    again, created_again = case_report(
        source=Source.CAMERA,
        category=loop_town.stall,
        description="摄像头发现",
        idempotency_key="cam1:z1:t9",
        **IN_DONGMEN1,
    )
    assert created and not created_again and first.pk == again.pk

"""Who is told what, through the outbox, in the transaction of the change it reports."""

import pytest
from django.db import transaction

from yemai.cases import notices
from yemai.cases.choices import Action, Source
from yemai.cases.deadlines import deadline_tick
from yemai.cases.services import case_report
from yemai.cases.workflow import case_transition
from yemai.core.models import Task
from yemai.notify.choices import ChannelKind, NoticeState
from yemai.notify.models import Notice
from yemai.notify.services import channel_create

from .conftest import IN_DONGMEN1

PHONE = "13800138000"


@pytest.fixture
def t(loop_town):
    return loop_town


def report(t, **kw):
    case, _ = case_report(
        source=Source.RESIDENT,
        category=t.stall,
        description="门口摆摊，电话13800138000",
        address="东门路12号门口",
        reporter_name="居民甲",
        reporter_phone=PHONE,
        **{**IN_DONGMEN1, **kw},
    )
    return case


def sent(template, user):
    return Notice.objects.filter(template=template, user=user)


def test_the_member_is_told_of_a_case_dispatched_to_them(t):
    case = report(t)
    notice = sent("case.dispatched", t.dongmen1_member).get()
    for part in (case.number, "占道经营", "东门路12号门口"):
        assert part in notice.text
    assert notice.params["deadline"] != "—"
    assert notice.grid == case.grid


def test_an_escalation_tells_the_micro_grid_leader(t):
    case = report(t)
    case_transition(case=case, action=Action.ACCEPT, actor=t.dongmen1_member)
    case_transition(case=case, action=Action.ESCALATE, actor=t.dongmen1_member, note="摊主不配合")
    notice = sent("case.escalated", t.dongmen1_leader).get()
    assert case.number in notice.text
    assert not sent("case.escalated", t.dongmen_head).exists()


def test_a_referral_tells_the_departments_liaisons(t):
    case = report(t)
    case_transition(case=case, action=Action.ACCEPT, actor=t.dongmen1_member)
    case_transition(case=case, action=Action.ESCALATE, actor=t.dongmen1_member)
    case_transition(case=case, action=Action.REFER, actor=t.dongmen1_leader, department=t.chengguan)
    notice = sent("case.referred", t.liaison).get()
    assert "城管中队" in notice.text


def test_a_department_sending_a_case_back_tells_the_centre(t):
    case = report(t)
    case_transition(case=case, action=Action.ACCEPT, actor=t.dongmen1_member)
    case_transition(case=case, action=Action.ESCALATE, actor=t.dongmen1_member)
    case_transition(case=case, action=Action.REFER, actor=t.dongmen1_leader, department=t.chengguan)
    case_transition(case=case, action=Action.SEND_BACK, actor=t.liaison, note="不属于城管职责")
    notice = sent("case.sent_back", t.operator).get()
    assert "不属于城管职责" in notice.text


def test_rework_tells_the_assignee(t):
    case = report(t)
    case_transition(case=case, action=Action.ACCEPT, actor=t.dongmen1_member)
    case_transition(case=case, action=Action.HANDLE, actor=t.dongmen1_member)
    case_transition(case=case, action=Action.REWORK, actor=t.dongmen1_leader, note="照片不清楚")
    notice = sent("case.rework", t.dongmen1_member).get()
    assert "照片不清楚" in notice.text


def test_overdue_escalations_tell_the_level_escalated_to(t):
    import datetime as dt
    from zoneinfo import ZoneInfo

    monday = dt.datetime(2025, 9, 22, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    case = report(t, now=monday)
    deadline_tick(now=monday + dt.timedelta(minutes=25))
    deadline_tick(now=monday + dt.timedelta(minutes=31))
    assert sent("case.reminder", t.dongmen1_member).count() == 1
    notice = sent("case.overdue", t.dongmen1_leader).get()
    assert case.number in notice.text and "09:30" in notice.text
    assert notice.params["level"] == 1


def test_a_closing_invites_the_resident_to_rate_by_sms(t):
    case = report(t)
    for action, who in [
        (Action.ACCEPT, t.dongmen1_member),
        (Action.HANDLE, t.dongmen1_member),
        (Action.VERIFY, t.dongmen1_leader),
        (Action.CLOSE, t.dongmen1_leader),
    ]:
        case_transition(case=case, action=action, actor=who)
    notice = Notice.objects.get(template="case.rating_invitation")
    assert notice.phone == PHONE and notice.user is None
    assert case.number in notice.text and "/rate/" in notice.text


def test_staff_notices_never_show_the_residents_phone_or_name(t):
    case = report(t)
    case_transition(case=case, action=Action.ACCEPT, actor=t.dongmen1_member)
    case_transition(case=case, action=Action.ESCALATE, actor=t.dongmen1_member)
    case_transition(case=case, action=Action.REFER, actor=t.dongmen1_leader, department=t.chengguan)
    staff = Notice.objects.filter(user__isnull=False)
    assert staff.count() == 3
    for notice in staff:
        blob = notice.text + repr(notice.params)
        assert PHONE not in blob and "138****8000" not in blob and "居民甲" not in blob
        assert notice.phone == ""


def test_notices_are_written_with_the_change_or_not_at_all(t):
    case = report(t)
    Notice.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        case_transition(case=case, action=Action.ACCEPT, actor=t.dongmen1_member)
        case_transition(case=case, action=Action.ESCALATE, actor=t.dongmen1_member)
        raise RuntimeError("the request failed after the escalation")
    assert not Notice.objects.exists()


def test_a_notice_goes_out_through_a_channel_when_there_is_one(t):
    channel_create(grid=t.town, kind=ChannelKind.WEBPUSH, name="推送")
    report(t)
    notice = sent("case.dispatched", t.dongmen1_member).get()
    assert notice.state == NoticeState.PENDING and notice.channel is not None
    assert Task.objects.filter(name="notify.deliver", state=Task.State.PENDING).exists()


def test_without_a_channel_the_notice_is_kept_as_given_up_and_the_case_goes_on(t):
    case = report(t)
    notice = sent("case.dispatched", t.dongmen1_member).get()
    assert notice.state == NoticeState.DEAD and notice.last_error
    assert case.assignee == t.dongmen1_member


def test_suppressed_notices_and_a_missing_outbox_write_nothing(t, monkeypatch):
    with notices.suppressed():
        report(t)
    assert not Notice.objects.exists()
    monkeypatch.setattr(notices, "available", lambda: False)
    case = report(t, lat=30.2101)
    assert case.assignee is not None and not Notice.objects.exists()

"""The resident's rating (评价) through a link with no login, once; "not fixed" reopens the case
(返工); the staff's phone follow-up (回访)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from yemai.cases.choices import Action, Source, State
from yemai.cases.models import Case, CaseEvent, Category, Rating
from yemai.cases.rating import follow_up_record, rating_case_for_token, rating_submit, token_hash
from yemai.cases.services import case_report
from yemai.cases.workflow import case_transition
from yemai.notify.models import Notice

from .conftest import IN_DONGMEN1

PHONE = "13800138000"


@pytest.fixture
def t(loop_town):
    return loop_town


def report(t, *, category=None, phone=PHONE, source=Source.RESIDENT, reporter=None):
    case, _ = case_report(
        source=source,
        category=category or t.stall,
        description="门口摆摊",
        reporter_name="居民甲" if reporter is None else "",
        reporter_phone=phone,
        reporter=reporter,
        **IN_DONGMEN1,
    )
    return case


def close(t, case):
    case.refresh_from_db()
    if case.state == State.DISPATCHED:
        case_transition(case=case, action=Action.ACCEPT, actor=t.dongmen1_member)
    case_transition(case=case, action=Action.HANDLE, actor=t.dongmen1_member, note="已劝离")
    case_transition(case=case, action=Action.VERIFY, actor=t.dongmen1_leader)
    case_transition(case=case, action=Action.CLOSE, actor=t.dongmen1_leader)
    case.refresh_from_db()
    return case


def sms_token(phone=PHONE, nth=-1) -> str:
    invitations = list(Notice.objects.filter(template="case.rating_invitation").order_by("id"))
    mine = [n for n in invitations if n.phone == phone]
    return mine[nth].params["link"].rsplit("/", 1)[-1]


def test_a_closed_case_sends_the_resident_a_rating_link_and_keeps_only_its_hash(t):
    case = close(t, report(t))
    notice = Notice.objects.get(template="case.rating_invitation")
    assert notice.phone == PHONE and notice.user is None
    assert case.number in notice.text and "http" in notice.text
    token = sms_token()
    assert len(token) >= 43  # 32 random bytes
    assert case.rating_token_hash == token_hash(token) and token not in case.rating_token_hash
    assert rating_case_for_token(token=token) == case


def test_the_resident_rates_once(t):
    case = close(t, report(t))
    token = sms_token()
    rating = rating_submit(token=token, score=5, fixed="yes", comment="很快就处理了")
    assert (rating.case, rating.score, rating.fixed, rating.by_phone) == (case, 5, "yes", False)
    event = CaseEvent.objects.get(case=case, action=Action.RATE)
    assert event.actor is None and event.data["score"] == 5
    with pytest.raises(ValidationError, match="already rated"):
        rating_submit(token=token, score=1, fixed="yes")
    assert Rating.objects.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.state == State.CLOSED


def test_not_fixed_reopens_the_case_for_the_same_member_with_a_fresh_clock(t):
    case = close(t, report(t))
    token = sms_token()
    before = timezone.now()
    rating_submit(token=token, score=2, fixed="no", comment="摊位又回来了")
    case.refresh_from_db()
    assert case.state == State.ACCEPTED
    assert case.assignee == t.dongmen1_member and case.rework_count == 1
    assert case.clock == "handle" and case.clock_started_at >= before
    assert case.escalation_level == 0 and case.handled_on_time is None
    rework = CaseEvent.objects.get(case=case, action=Action.REWORK)
    assert rework.actor is None and rework.from_state == State.CLOSED
    assert Notice.objects.filter(template="case.rework", user=t.dongmen1_member).exists()
    with pytest.raises(ValidationError, match="already rated"):
        rating_submit(token=token, score=1, fixed="no")

    # handled again and closed: a new link, the old one no longer works
    close(t, case)
    new_token = sms_token()
    assert new_token != token
    with pytest.raises(ValidationError, match="not valid"):
        rating_submit(token=token, score=5, fixed="yes")
    rating_submit(token=new_token, score=5, fixed="yes")
    assert Rating.objects.filter(case=case).count() == 2


def test_a_low_score_that_is_fixed_does_not_reopen(t):
    case = close(t, report(t))
    rating_submit(token=sms_token(), score=1, fixed="yes", comment="态度不好")
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.rework_count == 0


def test_the_link_expires_thirty_days_after_closing(t):
    case = close(t, report(t))
    token = sms_token()
    later = case.closed_at + dt.timedelta(days=31)
    with pytest.raises(ValidationError, match="expired"):
        rating_submit(token=token, score=4, fixed="yes", now=later)
    rating_submit(token=token, score=4, fixed="yes", now=case.closed_at + dt.timedelta(days=29))


def test_bad_ratings_are_refused_with_the_field_named(t):
    close(t, report(t))
    token = sms_token()
    for score, fixed, field in [
        (6, "yes", "score"),
        (0, "yes", "score"),
        ("x", "yes", "score"),
        (True, "yes", "score"),
        (3, "maybe", "fixed"),
    ]:
        with pytest.raises(ValidationError) as err:
            rating_submit(token=token, score=score, fixed=fixed)
        assert field in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        rating_submit(token=token, score=3, fixed="yes", comment="长" * 1001)
    assert "comment" in err.value.message_dict
    for bad in ("", "short", "x" * 43, None):
        with pytest.raises(ValidationError, match="not valid"):
            rating_submit(token=bad, score=3, fixed="yes")
    assert not Rating.objects.exists()


def test_staff_reports_and_categories_that_ask_no_rating_send_no_link(t):
    close(t, report(t, phone="", source=Source.PATROL, reporter=t.dongmen1_member))
    bikes = Category.objects.get(code="0201")  # 非机动车乱停放: no rating asked
    assert not bikes.rating_asked
    close(t, report(t, category=bikes))
    assert not Notice.objects.filter(template="case.rating_invitation").exists()
    assert not Case.objects.exclude(rating_token_hash="").exists()


def test_a_resident_without_a_phone_gets_a_token_but_no_sms(t):
    case = close(t, report(t, phone=""))
    assert case.rating_token_hash
    assert not Notice.objects.filter(template="case.rating_invitation").exists()


def test_staff_record_a_phone_follow_up(t):
    case = close(t, report(t))
    rating = follow_up_record(
        case=case, user=t.dongmen1_leader, score=4, fixed="yes", comment="满意"
    )
    assert rating.by_phone and rating.recorded_by == t.dongmen1_leader and rating.case == case
    event = CaseEvent.objects.get(case=case, action=Action.FOLLOW_UP)
    assert event.actor == t.dongmen1_leader and event.data["rating"] == rating.pk


def test_a_follow_up_that_finds_it_not_fixed_reopens_it(t):
    case = close(t, report(t))
    follow_up_record(case=case, user=t.operator, score=2, fixed="no", comment="仍在摆摊")
    case.refresh_from_db()
    assert case.state == State.ACCEPTED and case.rework_count == 1
    assert CaseEvent.objects.get(case=case, action=Action.REWORK).actor == t.operator


def test_only_supervisors_in_scope_record_follow_ups(t):
    case = close(t, report(t))
    with pytest.raises(PermissionDenied):
        follow_up_record(case=case, user=t.dongmen1_member, score=5, fixed="yes")
    with pytest.raises(Http404):
        follow_up_record(case=case, user=t.ximen_head, score=5, fixed="yes")
    open_case = report(t)
    with pytest.raises(ValidationError):  # not closed yet
        follow_up_record(case=open_case, user=t.dongmen1_leader, score=5, fixed="yes")
    assert not Rating.objects.exists()


# --- rating with the tracking code (no SMS needed) ---------------------------------------------


def test_the_resident_rates_once_with_the_tracking_code_and_the_link_then_refuses(t, client):
    case = close(t, report(t))
    track = client.get(f"/api/public/cases/{case.tracking_code}").json()
    assert track["can_rate"] is True
    answer = client.post(
        f"/api/public/cases/{case.tracking_code.lower()}/rating",
        {"score": 4, "fixed": "yes", "comment": "好"},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["reopened"] is False
    rating = Rating.objects.get(case=case)
    assert (rating.score, rating.fixed, rating.comment) == (4, "yes", "好")
    assert CaseEvent.objects.get(case=case, action=Action.RATE).data["via"] == "tracking_code"
    assert client.get(f"/api/public/cases/{case.tracking_code}").json()["can_rate"] is False
    again = client.post(
        f"/api/public/cases/{case.tracking_code}/rating",
        {"score": 1, "fixed": "yes"},
        content_type="application/json",
    )
    assert again.status_code == 400 and "already rated" in again.content.decode()
    # the SMS link of the same reporter is spent too: one rating each time the case closes
    with pytest.raises(ValidationError, match="already rated"):
        rating_submit(token=sms_token(), score=1, fixed="yes")
    assert Rating.objects.filter(case=case).count() == 1


def test_not_fixed_by_tracking_code_reopens_and_the_next_closing_may_be_rated_again(t, client):
    case = close(t, report(t))
    answer = client.post(
        f"/api/public/cases/{case.tracking_code}/rating",
        {"score": 1, "fixed": "no", "comment": "还在摆"},
        content_type="application/json",
    )
    assert answer.status_code == 201 and answer.json()["reopened"] is True
    case.refresh_from_db()
    assert case.state != State.CLOSED and case.rework_count == 1
    assert client.get(f"/api/public/cases/{case.tracking_code}").json()["can_rate"] is False
    case_transition(case=case, action=Action.START, actor=t.dongmen1_member)
    close(t, case)
    assert client.get(f"/api/public/cases/{case.tracking_code}").json()["can_rate"] is True


def test_a_tracking_code_cannot_rate_an_open_case_or_a_staff_report(t, client):
    open_case = report(t)
    answer = client.post(
        f"/api/public/cases/{open_case.tracking_code}/rating",
        {"score": 5, "fixed": "yes"},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "not closed yet" in answer.content.decode()
    staff_case = close(t, report(t, phone="", source=Source.PATROL, reporter=t.dongmen1_member))
    answer = client.post(
        f"/api/public/cases/{staff_case.tracking_code}/rating",
        {"score": 5, "fixed": "yes"},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "No case of yours" in answer.content.decode()
    assert not Rating.objects.exists()

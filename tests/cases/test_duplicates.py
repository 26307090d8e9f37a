"""Duplicates (重复案件): shown before a resident submits, merged by staff, merged automatically
for cameras; the reporter of a merged case follows and rates the original."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import override_settings
from django.utils import timezone

from yemai.cases.choices import Action, RejectReason, Source, State
from yemai.cases.duplicates import (
    case_followed,
    case_for_tracking_code,
    case_merge,
    case_report_deduplicated,
    similar_open_cases,
)
from yemai.cases.models import Case, CaseEvent, Category, Rating
from yemai.cases.rating import rating_submit
from yemai.cases.services import case_report
from yemai.cases.workflow import case_transition
from yemai.grids.geo import M_PER_DEG_LAT
from yemai.notify.models import Notice

from .conftest import IN_DONGMEN1

LON, LAT = IN_DONGMEN1["lon"], IN_DONGMEN1["lat"]


def north(metres: float) -> float:
    return LAT + metres / M_PER_DEG_LAT


@pytest.fixture
def t(loop_town):
    return loop_town


def report(t, *, lat=LAT, phone="13800138000", when=None, source=Source.RESIDENT, **kw):
    case, _ = case_report(
        source=source,
        category=kw.pop("category", t.stall),
        description="门口摆摊",
        reporter_name="居民",
        reporter_phone=phone,
        lon=LON,
        lat=lat,
        now=when,
        **kw,
    )
    return case


def test_a_resident_sees_open_cases_of_the_same_kind_nearby_before_submitting(t):
    original = report(t)
    found = similar_open_cases(category=t.stall, lon=LON, lat=north(30))
    assert found == [original]
    assert found[0].distance_m == pytest.approx(30, abs=0.5)
    assert similar_open_cases(category=t.stall, lon=LON, lat=north(60)) == []  # beyond 50 m
    assert similar_open_cases(category=t.garbage, lon=LON, lat=LAT) == []  # another kind


def test_the_distance_and_the_time_window_are_settings(t):
    report(t, when=timezone.now() - dt.timedelta(hours=80))
    assert similar_open_cases(category=t.stall, lon=LON, lat=LAT) == []  # older than 72 h
    assert len(similar_open_cases(category=t.stall, lon=LON, lat=LAT, hours=100)) == 1
    with override_settings(CASE_DUPLICATE_HOURS=96, CASE_DUPLICATE_M=100):
        assert len(similar_open_cases(category=t.stall, lon=LON, lat=north(80))) == 1


def test_it_lists_only_open_cases_newest_first(t):
    older = report(t, when=timezone.now() - dt.timedelta(hours=2))
    newer = report(t, lat=north(10), when=timezone.now() - dt.timedelta(hours=1))
    closed = report(t, lat=north(5))
    case_transition(case=closed, action=Action.WITHDRAW, actor=t.operator)
    assert similar_open_cases(category=t.stall, lon=LON, lat=LAT) == [newer, older]
    assert similar_open_cases(category=t.stall, lon=LON, lat=LAT, exclude=newer) == [older]
    assert similar_open_cases(category=t.stall, lon=None, lat=None) == []


def test_staff_merge_a_duplicate_into_the_original(t):
    original = report(t)
    duplicate = report(t, lat=north(20), phone="13900139000")
    result = case_merge(case=duplicate, into=original, actor=t.dongmen1_leader, note="同一摊位")
    duplicate.refresh_from_db()
    assert result == original
    assert duplicate.state == State.REJECTED
    assert duplicate.reject_reason == RejectReason.DUPLICATE
    assert duplicate.merged_into == original
    assert CaseEvent.objects.filter(case=duplicate, action=Action.MERGE).exists()
    note = CaseEvent.objects.get(case=original, action=Action.COMMENT)
    assert duplicate.number in note.note and note.data["merged"] == duplicate.pk
    # the duplicate's reporter follows the original (tracking code lookups show it)
    assert case_followed(duplicate) == original
    assert case_for_tracking_code(duplicate.tracking_code.lower()) == original
    assert case_for_tracking_code("NOSUCH") is None
    assert case_followed(original) == original
    original.refresh_from_db()
    assert original.state == State.DISPATCHED  # the original goes on


def test_merging_refuses_nonsense(t):
    original = report(t)
    duplicate = report(t, lat=north(20))
    with pytest.raises(ValidationError):
        case_merge(case=original, into=original, actor=t.dongmen1_leader)
    with pytest.raises(PermissionDenied):
        case_merge(case=duplicate, into=original, actor=t.dongmen1_member)
    with pytest.raises(Http404):
        case_merge(case=duplicate, into=original, actor=t.ximen_head)
    case_transition(case=original, action=Action.WITHDRAW, actor=t.operator)
    with pytest.raises(ValidationError, match="still open"):
        case_merge(case=duplicate, into=original, actor=t.dongmen1_leader)
    duplicate.refresh_from_db()
    assert duplicate.state == State.DISPATCHED and duplicate.merged_into is None


def test_cases_merged_earlier_follow_when_their_original_is_merged_in_turn(t):
    a, b, c = report(t), report(t, lat=north(5)), report(t, lat=north(10))
    case_merge(case=c, into=b, actor=t.operator)
    case_merge(case=b, into=a, actor=t.operator)
    c.refresh_from_db()
    assert c.merged_into == a


def test_each_merged_reporter_rates_the_original_with_their_own_link(t):
    original = report(t, phone="13800138000")
    duplicate = report(t, lat=north(20), phone="13900139000")
    case_merge(case=duplicate, into=original, actor=t.dongmen1_leader)
    for action, who in [
        (Action.ACCEPT, t.dongmen1_member),
        (Action.HANDLE, t.dongmen1_member),
        (Action.VERIFY, t.dongmen1_leader),
        (Action.CLOSE, t.dongmen1_leader),
    ]:
        case_transition(case=original, action=action, actor=who)
    invitations = {
        n.phone: n.params["link"].rsplit("/", 1)[-1]
        for n in Notice.objects.filter(template="case.rating_invitation")
    }
    assert set(invitations) == {"13800138000", "13900139000"}
    mine, theirs = invitations["13800138000"], invitations["13900139000"]
    assert mine != theirs
    rating_submit(token=theirs, score=4, fixed="yes")
    rating_submit(token=mine, score=5, fixed="yes")
    assert sorted(Rating.objects.filter(case=original).values_list("score", flat=True)) == [4, 5]
    with pytest.raises(ValidationError, match="already rated"):
        rating_submit(token=theirs, score=1, fixed="yes")
    merged_rate = CaseEvent.objects.get(case=original, action=Action.RATE, data__score=4)
    assert merged_rate.data["merged_case"] == duplicate.pk


def test_a_merged_reporter_saying_not_fixed_reopens_the_original(t):
    original = report(t)
    duplicate = report(t, lat=north(20), phone="13900139000")
    case_merge(case=duplicate, into=original, actor=t.operator)
    for action, who in [
        (Action.ACCEPT, t.dongmen1_member),
        (Action.HANDLE, t.dongmen1_member),
        (Action.VERIFY, t.dongmen1_leader),
        (Action.CLOSE, t.dongmen1_leader),
    ]:
        case_transition(case=original, action=action, actor=who)
    invitations = Notice.objects.filter(template="case.rating_invitation")
    theirs = next(n for n in invitations if n.phone == "13900139000")  # phones are encrypted
    rating_submit(token=theirs.params["link"].rsplit("/", 1)[-1], score=1, fixed="no")
    original.refresh_from_db()
    assert original.state == State.ACCEPTED and original.rework_count == 1


def camera(t, key, lat=LAT, category=None):
    return case_report_deduplicated(
        source=Source.CAMERA,
        category=category or t.stall,
        description="摄像头发现占道经营",
        lon=LON,
        lat=lat,
        idempotency_key=key,
    )


def test_camera_detections_of_the_same_problem_merge_by_themselves(t):
    first = camera(t, "cam7:zone2:1001")
    assert first.created and first.duplicate is None
    second = camera(t, "cam7:zone2:1002", lat=north(10))
    assert second.case == first.case and second.created
    assert second.duplicate.state == State.REJECTED
    assert second.duplicate.merged_into == first.case
    # the member was told once, about the original only
    assert Notice.objects.filter(template="case.dispatched").count() == 1
    assert CaseEvent.objects.filter(case=first.case, action=Action.COMMENT).count() == 1
    # a repeat of the same detection comes back to the original, with nothing new stored
    repeat = camera(t, "cam7:zone2:1002", lat=north(10))
    assert repeat.case == first.case and not repeat.created
    assert Case.objects.count() == 2


def test_a_camera_detection_elsewhere_or_of_another_kind_is_a_new_case(t):
    first = camera(t, "cam7:zone2:1")
    far = camera(t, "cam7:zone2:2", lat=north(200))
    bikes = camera(t, "cam7:zone2:3", category=Category.objects.get(code="0201"))
    assert len({first.case.pk, far.case.pk, bikes.case.pk}) == 3
    assert far.duplicate is None and bikes.duplicate is None


def test_resident_reports_are_not_merged_automatically(t):
    report(t)
    again = case_report_deduplicated(
        source=Source.RESIDENT,
        category=t.stall,
        description="又来摆摊",
        reporter_phone="13900139000",
        lon=LON,
        lat=LAT,
    )
    assert again.duplicate is None and again.case.state == State.DISPATCHED

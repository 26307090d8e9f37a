"""Reference rows kept in each process (core.refcache): an edit is seen by the next case at once
in the process that made it, and in every other process within REFERENCE_CACHE_SECONDS."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yemai.cases.choices import Source, State
from yemai.cases.models import Category, Holiday
from yemai.cases.services import case_report, category_get_leaf
from yemai.core import refcache
from yemai.grids.services import team_member_update

from .conftest import IN_DONGMEN1


def report(t, **kw):
    case, _ = case_report(
        source=Source.RESIDENT,
        category=t.stall,
        description="门口摆摊",
        reporter_name="居民甲",
        **{**IN_DONGMEN1, **kw},
    )
    return case


def test_a_subcategory_the_centre_switches_off_is_refused_at_once(loop_town):
    assert category_get_leaf(code="0203").name == loop_town.stall.name
    stall = Category.objects.get(code="0203")
    stall.enabled = False
    stall.save()  # what the admin page does
    with pytest.raises(ValidationError, match="Unknown category 0203"):
        category_get_leaf(code="0203")


def test_the_category_given_out_is_a_copy(loop_town):
    first = category_get_leaf(code="0203")
    first.name = "changed by one request"
    assert category_get_leaf(code="0203").name != "changed by one request"


def test_a_member_taken_off_duty_gets_no_more_cases(loop_town):
    assert report(loop_town).assignee == loop_town.dongmen1_member
    team_member_update(member=loop_town.dongmen1_member_row, on_duty=False)
    case = report(loop_town)
    assert case.assignee is None and case.state == State.REPORTED


def test_a_holiday_added_moves_the_next_deadline(loop_town):
    thursday = timezone.make_aware(dt.datetime(2025, 10, 9, 17, 20))  # 10 min before closing
    before = report(loop_town, now=thursday).due_at
    Holiday.objects.create(date=dt.date(2025, 10, 10), name="补休")  # Friday off
    after = report(loop_town, now=thursday).due_at
    assert after > before
    assert timezone.localtime(after).date() > dt.date(2025, 10, 10)


def test_an_edit_made_by_another_process_arrives_within_the_cache_time(
    loop_town, settings, monkeypatch
):
    settings.REFERENCE_CACHE_SECONDS = 30
    assert category_get_leaf(code="0203")
    # Another process's edit sends no signal here: QuerySet.update() looks the same.
    Category.objects.filter(code="0203").update(enabled=False)
    assert category_get_leaf(code="0203")  # still the kept copy
    now = refcache.time.monotonic()
    monkeypatch.setattr(refcache.time, "monotonic", lambda: now + 31)
    with pytest.raises(ValidationError, match="Unknown category 0203"):
        category_get_leaf(code="0203")


def test_with_no_cache_time_every_case_reads_the_database(loop_town, settings):
    settings.REFERENCE_CACHE_SECONDS = 0
    assert category_get_leaf(code="0203")
    Category.objects.filter(code="0203").update(enabled=False)
    with pytest.raises(ValidationError):
        category_get_leaf(code="0203")

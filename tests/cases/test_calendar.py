"""Working time (工作时): the clocks of case steps stop at lunch, at night, at weekends and on
holidays, and run on a worked weekend day (调休)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from yemai.cases.calendar import WorkCalendar, deadline
from yemai.cases.models import Holiday

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = "08:30-12:00,13:30-17:30"  # 7.5 working hours a day


def at(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SHANGHAI)


def calendar(**exceptions) -> WorkCalendar:
    return WorkCalendar(
        exceptions={dt.date.fromisoformat(k): v for k, v in exceptions.items()}, spec=HOURS
    )


def test_it_stops_the_clock_over_lunch():
    # Monday 11:00 + 2 working hours: one hour before lunch, one after 13:30.
    assert calendar().add(at("2025-09-22", "11:00"), 120) == at("2025-09-22", "14:30")


def test_it_finishes_exactly_at_the_end_of_the_morning():
    assert calendar().add(at("2025-09-22", "11:00"), 60) == at("2025-09-22", "12:00")


def test_a_clock_started_before_work_begins_at_half_past_eight():
    assert calendar().add(at("2025-09-22", "07:00"), 30) == at("2025-09-22", "09:00")


def test_a_clock_started_after_work_runs_on_the_next_morning():
    assert calendar().add(at("2025-09-22", "18:00"), 30) == at("2025-09-23", "09:00")


def test_it_skips_the_weekend():
    # Friday 16:30 + 2 h: one hour on Friday, the other on Monday morning.
    assert calendar().add(at("2025-09-26", "16:30"), 120) == at("2025-09-29", "09:30")


def test_it_works_on_a_weekend_day_marked_as_a_working_day():
    # 调休: Saturday 11 October 2025 is worked.
    cal = calendar(**{"2025-10-11": True})
    assert cal.add(at("2025-10-10", "17:00"), 60) == at("2025-10-11", "09:00")
    assert calendar().add(at("2025-10-10", "17:00"), 60) == at("2025-10-13", "09:00")


def test_it_skips_public_holidays_on_weekdays():
    holidays = {f"2025-10-0{d}": False for d in range(1, 9)}  # 国庆: 1–8 October
    cal = calendar(**holidays)
    # Tuesday 30 September 17:00 + 1 h: 30 minutes that day, 30 on Thursday 9 October.
    assert cal.add(at("2025-09-30", "17:00"), 60) == at("2025-10-09", "09:00")


def test_it_counts_working_minutes_between_two_moments():
    cal = calendar()
    assert cal.between(at("2025-09-22", "11:00"), at("2025-09-22", "14:30")) == 120
    assert cal.between(at("2025-09-26", "16:30"), at("2025-09-29", "09:30")) == 120
    assert cal.between(at("2025-09-27", "09:00"), at("2025-09-27", "17:00")) == 0  # Saturday
    assert cal.between(at("2025-09-22", "12:10"), at("2025-09-22", "13:20")) == 0  # lunch
    assert cal.between(at("2025-09-22", "14:00"), at("2025-09-22", "10:00")) == 0  # backwards


def test_between_counts_a_worked_saturday_and_not_a_holiday():
    cal = calendar(**{"2025-10-11": True, "2025-10-13": False})
    full_day = 7.5 * 60
    assert cal.between(at("2025-10-10", "17:30"), at("2025-10-14", "08:30")) == full_day


def test_between_undoes_add():
    cal = calendar(**{"2025-10-11": True, "2025-10-01": False})
    start = at("2025-09-30", "10:17")
    for minutes in (1, 59, 100, 450, 451, 2000):
        assert cal.between(start, cal.add(start, minutes)) == pytest.approx(minutes)


def test_an_urgent_clock_runs_on_the_wall_clock():
    start = at("2025-09-26", "17:00")
    assert deadline(start, 120, wall_clock=True) == at("2025-09-26", "19:00")
    assert deadline(start, 120, calendar=calendar()) == at("2025-09-29", "10:00")


def test_it_reads_the_holiday_table(db):
    Holiday.objects.create(date=dt.date(2025, 10, 11), is_working_day=True, name="国庆调休")
    Holiday.objects.create(date=dt.date(2025, 10, 13), name="假日")
    cal = WorkCalendar(spec=HOURS)
    assert cal.is_working_day(dt.date(2025, 10, 11))
    assert not cal.is_working_day(dt.date(2025, 10, 13))
    assert cal.add(at("2025-10-10", "17:00"), 60) == at("2025-10-11", "09:00")


def test_it_refuses_working_hours_it_cannot_read():
    with pytest.raises(ImproperlyConfigured, match="HH:MM-HH:MM"):
        WorkCalendar(exceptions={}, spec="8.30 to 12")
    with pytest.raises(ImproperlyConfigured, match="ends before it starts"):
        WorkCalendar(exceptions={}, spec="12:00-08:30")

"""Working time (工作时): the clocks of case steps run only in working hours on working days.

Working hours come from ``settings.CASE_WORKING_HOURS`` ("08:30-12:00,13:30-17:30" by default);
Saturdays and Sundays are days off unless the holiday calendar marks them worked (调休), and a
weekday in the holiday calendar is a day off. Urgent cases run on the wall clock instead
(``wall_clock=True``): a fire does not wait for Monday.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from yemai.core.refcache import ReferenceCache

MAX_DAYS = 3660  # a clock that cannot finish in ten years is a configuration error


def _holiday_table() -> dict[dt.date, bool]:
    from .models import Holiday

    return dict(Holiday.objects.values_list("date", "is_working_day"))


# The holiday calendar (节假日与调休): every clock that starts reads it.
_holidays = ReferenceCache("cases.holidays", _holiday_table, models=("cases.Holiday",))


@lru_cache(maxsize=8)
def working_periods(spec: str) -> tuple[tuple[dt.time, dt.time], ...]:
    periods = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        try:
            start, end = (dt.time.fromisoformat(x.strip()) for x in part.split("-"))
        except ValueError:
            raise ImproperlyConfigured(f"CASE_WORKING_HOURS: {part!r} is not HH:MM-HH:MM") from None
        if end <= start:
            raise ImproperlyConfigured(f"CASE_WORKING_HOURS: {part!r} ends before it starts")
        periods.append((start, end))
    periods.sort()
    return tuple(periods)


class WorkCalendar:
    """Which days are worked, from the holiday table, loaded once per computation."""

    def __init__(self, exceptions: dict[dt.date, bool] | None = None, spec: str | None = None):
        if exceptions is None:
            exceptions = _holidays.get()
        self.exceptions = exceptions
        self.periods = working_periods(spec or settings.CASE_WORKING_HOURS)
        self.tz = timezone.get_default_timezone()

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.isoweekday() <= 5

    def _periods_on(self, day: dt.date):
        for start, end in self.periods:
            yield (dt.datetime.combine(day, start, self.tz), dt.datetime.combine(day, end, self.tz))

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment ``minutes`` of working time after ``start``."""
        remaining = dt.timedelta(minutes=minutes)
        local = timezone.localtime(start, self.tz)
        day = local.date()
        for _ in range(MAX_DAYS):
            if self.is_working_day(day):
                for p_start, p_end in self._periods_on(day):
                    begin = max(p_start, local)
                    if begin >= p_end:
                        continue
                    if begin + remaining <= p_end:
                        return begin + remaining
                    remaining -= p_end - begin
            day += dt.timedelta(days=1)
        raise ImproperlyConfigured("the working calendar has no working time in ten years")

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working minutes from ``start`` to ``end`` (0 if end is before start)."""
        if end <= start:
            return 0.0
        start, end = timezone.localtime(start, self.tz), timezone.localtime(end, self.tz)
        total = dt.timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                for p_start, p_end in self._periods_on(day):
                    lo, hi = max(p_start, start), min(p_end, end)
                    if hi > lo:
                        total += hi - lo
            day += dt.timedelta(days=1)
        return total.total_seconds() / 60


def deadline(
    start: dt.datetime,
    minutes: float,
    *,
    wall_clock: bool = False,
    calendar: WorkCalendar | None = None,
) -> dt.datetime:
    if wall_clock:
        return start + dt.timedelta(minutes=minutes)
    return (calendar or WorkCalendar()).add(start, minutes)

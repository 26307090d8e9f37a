"""Routing (派单): location → micro-grid → the work-team member on duty with the least open work.

Outside every micro-grid the case goes to the town's queue (the grid centre), with no assignee.
Among members on duty: fewest open cases first, then the one who was given a case longest ago
(round robin), then the lowest id, so the choice is deterministic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.utils import timezone

from yemai.grids import locator
from yemai.grids.choices import Level, TeamKind
from yemai.grids.models import GridNode, TeamMember

from .choices import OPEN_STATES
from .models import DutyShift


@dataclass(frozen=True)
class Route:
    grid: GridNode
    assignee: object | None  # a User, or None for the centre's queue
    located: bool  # False: outside every micro-grid


def town_for_point(lon: float | None, lat: float | None) -> GridNode:
    """The town whose boundary holds the point; else the only (or first) town."""
    towns = list(GridNode.objects.filter(level=Level.TOWN).order_by("code"))
    if not towns:
        raise GridNode.DoesNotExist("no town grid: import boundaries or run `yemai demo`")
    if lon is not None and lat is not None and len(towns) > 1:
        import shapely

        for town in towns:
            geom = town.geometry
            if geom is not None and shapely.intersects_xy(geom, lon, lat):
                return town
    return towns[0]


def on_duty_users(grid: GridNode, day: dt.date):
    """Users in the micro-grid's work team who are on duty on ``day``."""
    members = (
        TeamMember.objects.filter(
            team__grid=grid,
            team__kind=TeamKind.WORK,
            on_duty=True,
            user__isnull=False,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("id")
    )
    shifts: dict[int, list[DutyShift]] = {}
    for shift in DutyShift.objects.filter(member__in=members):
        shifts.setdefault(shift.member_id, []).append(shift)
    return [
        m.user for m in members if m.id not in shifts or any(s.covers(day) for s in shifts[m.id])
    ]


def choose_assignee(grid: GridNode, *, now=None):
    now = now or timezone.now()
    users = on_duty_users(grid, timezone.localdate(now))
    if not users:
        return None
    from yemai.accounts.models import User

    ranked = User.objects.filter(pk__in=[u.pk for u in users]).annotate(
        open_cases=Count("cases_assigned", filter=Q(cases_assigned__state__in=OPEN_STATES)),
        last_given=Max("cases_assigned__dispatched_at"),
    )
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return min(ranked, key=lambda u: (u.open_cases, u.last_given or epoch, u.pk))


def route(lon: float | None, lat: float | None, *, now=None) -> Route:
    hit = locator.locate(lon, lat) if lon is not None and lat is not None else None
    if hit is None:
        return Route(grid=town_for_point(lon, lat), assignee=None, located=False)
    grid = GridNode.objects.get(pk=hit.grid_id)
    return Route(grid=grid, assignee=choose_assignee(grid, now=now), located=True)

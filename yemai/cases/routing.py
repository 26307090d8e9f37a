"""Routing (派单): location → micro-grid → the work-team member on duty with the least open work.

Outside every micro-grid the case goes to the town's queue (the grid centre), with no assignee.
Among members on duty: fewest open cases first, then the one who was given a case longest ago
(round robin), then the lowest id, so the choice is deterministic.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.utils import timezone

from yemai.core.refcache import ReferenceCache
from yemai.grids import locator
from yemai.grids import selectors as grid_selectors
from yemai.grids.models import GridNode

from .choices import OPEN_STATES
from .models import DutyShift


@dataclass(frozen=True)
class Route:
    grid: GridNode
    assignee: object | None  # a User, or None for the centre's queue
    located: bool  # False: outside every micro-grid


def town_for_point(lon: float | None, lat: float | None) -> GridNode:
    """The town whose boundary holds the point; else the only (or first) town."""
    towns = grid_selectors.town_list()
    if not towns:
        raise GridNode.DoesNotExist("no town grid: import boundaries or run `yemai demo`")
    if lon is not None and lat is not None and len(towns) > 1:
        import shapely

        for town in towns:
            geom = town.geometry
            if geom is not None and shapely.intersects_xy(geom, lon, lat):
                return town
    return towns[0]


@dataclass(frozen=True)
class _Roster:
    """A micro-grid as routing sees it: the node, its work team's active members on duty
    (team member id, user) in member order, and their duty shifts (排班) by member."""

    grid: GridNode
    members: list[tuple[int, object]]
    shifts: dict[int, list[DutyShift]]


def _roster_load(grid_id: int) -> _Roster:
    members = grid_selectors.work_team_on_duty_users(grid_id=grid_id)
    shifts: dict[int, list[DutyShift]] = {}
    if members:
        for shift in DutyShift.objects.filter(member_id__in=[m for m, _ in members]).only(
            "member_id", "weekdays", "date"
        ):
            shifts.setdefault(shift.member_id, []).append(shift)
    return _Roster(grid_selectors.grid_node_by_id(pk=grid_id), members, shifts)


# Read by every intake, changed when the village edits a team, a roster or an account.
_rosters = ReferenceCache(
    "cases.rosters",
    _roster_load,
    models=(
        "grids.GridNode",
        "grids.Team",
        "grids.TeamMember",
        "accounts.User",
        "cases.DutyShift",
    ),
)


def _on_duty(grid: GridNode, day: dt.date) -> list:
    """The users of the micro-grid's work team who are on duty on ``day``, in member order."""
    roster = _rosters.get(grid.pk)
    return [
        copy.copy(user)  # the roster is shared by every request of the process
        for member_id, user in roster.members
        if member_id not in roster.shifts or any(s.covers(day) for s in roster.shifts[member_id])
    ]


def on_duty_users(grid: GridNode, day: dt.date) -> list[int]:
    """Ids of the users in the micro-grid's work team who are on duty on ``day``."""
    return [user.pk for user in _on_duty(grid, day)]


def choose_assignee(grid: GridNode, *, now=None):
    """The on-duty member with the fewest open cases, then the one given a case longest ago."""
    from .models import Case

    now = now or timezone.now()
    users = _on_duty(grid, timezone.localdate(now))
    if len(users) <= 1:
        return users[0] if users else None
    user_ids = [user.pk for user in users]
    load = {
        row["assignee_id"]: row
        for row in Case.objects.filter(assignee_id__in=user_ids)
        .values("assignee_id")
        .annotate(
            open_cases=Count("id", filter=Q(state__in=OPEN_STATES)),
            last_given=Max("dispatched_at"),
        )
    }
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)

    def rank(user):
        row = load.get(user.pk, {})
        return (row.get("open_cases", 0), row.get("last_given") or epoch, user.pk)

    return min(users, key=rank)


def route(lon: float | None, lat: float | None, *, now=None) -> Route:
    hit = locator.locate(lon, lat) if lon is not None and lat is not None else None
    if hit is None:
        return Route(grid=town_for_point(lon, lat), assignee=None, located=False)
    grid = copy.copy(_rosters.get(hit.grid_id).grid)
    return Route(grid=grid, assignee=choose_assignee(grid, now=now), located=True)

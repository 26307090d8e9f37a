"""Reads of the grid, always limited to the user's scope (``restrict``): outside it is a 404."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from yemai.core.scoping import get_scoped_or_404

from . import coords, locator
from .choices import Level, TeamKind
from .models import Department, GridNode, ServicePoint, Team, TeamMember


def grid_node_list(
    *, user, level: str | None = None, parent: GridNode | None = None
) -> QuerySet[GridNode]:
    nodes = GridNode.objects.restrict(user).select_related("parent")
    if level:
        nodes = nodes.filter(level=level)
    if parent is not None:
        nodes = nodes.filter(parent=parent)
    return nodes.order_by("code")


def grid_node_get(*, user, code: str) -> GridNode:
    """One node by code, or 404 when it does not exist or lies outside the user's scope."""
    return get_scoped_or_404(GridNode.objects.select_related("parent"), user, code=code)


def grid_tree(*, user) -> list[dict]:
    """The user's grids as nested dicts (code, name, level, children), from the scope's root."""
    nodes = list(grid_node_list(user=user).values("id", "code", "name", "level", "parent_id"))
    by_id = {n["id"]: {**n, "children": []} for n in nodes}
    roots = []
    for node in by_id.values():
        parent = by_id.get(node["parent_id"])
        (parent["children"] if parent else roots).append(node)
    for node in by_id.values():
        del node["id"], node["parent_id"]
    return roots


def grid_export_root(*, user, code: str | None) -> GridNode | None:
    """The root of an export: the named node in scope, else the user's own scope."""
    if code:
        return grid_node_get(user=user, code=code)
    if user.is_unrestricted:
        return None
    if user.scope_id is None:
        raise Http404
    return user.scope


# --- locate --------------------------------------------------------------------------------


def _allowed_micro_ids(user) -> set[int] | None:
    """Micro-grids a user may be told about; None means all (an unrestricted account)."""
    if getattr(user, "is_unrestricted", False):
        return None
    return set(
        GridNode.objects.restrict(user).filter(level=Level.MICRO).values_list("id", flat=True)
    )


def grid_locate_many(
    *, user, lons: Sequence[float], lats: Sequence[float], crs: str = coords.WGS84
) -> list[locator.Hit | None]:
    """``locate`` for the user: a point that falls in a grid outside their scope gives None,
    not the other grid's name."""
    lons = np.asarray(lons, dtype=float)
    lats = np.asarray(lats, dtype=float)
    wlon, wlat = coords.to_wgs84(lons, lats, crs)
    hits = locator.locate_many(wlon, wlat)
    allowed = _allowed_micro_ids(user)
    if allowed is None:
        return hits
    return [hit if hit is not None and hit.grid_id in allowed else None for hit in hits]


def grid_locate(*, user, lon: float, lat: float, crs: str = coords.WGS84) -> locator.Hit | None:
    return grid_locate_many(user=user, lons=[lon], lats=[lat], crs=crs)[0]


# --- teams, service points, departments ----------------------------------------------------


def team_list(*, user, grid: GridNode | None = None) -> QuerySet[Team]:
    teams = Team.objects.restrict(user).select_related("grid")
    if grid is not None:
        teams = teams.filter(grid=grid)
    members = TeamMember.objects.order_by("-is_leader", "name")
    return teams.prefetch_related(Prefetch("members", queryset=members))


def team_get(*, user, pk: int) -> Team:
    return get_scoped_or_404(team_list(user=user), user, pk=pk)


def team_member_get(*, user, pk: int) -> TeamMember:
    return get_scoped_or_404(TeamMember.objects.select_related("team__grid"), user, pk=pk)


def service_point_list(*, user, grid: GridNode | None = None) -> QuerySet[ServicePoint]:
    """Service points in scope, and those serving a micro-grid in scope (a member of 东门1
    sees 东门社区's point although it belongs to the village)."""
    mine = GridNode.objects.restrict(user).values("id")
    points = ServicePoint.objects.filter(
        Q(pk__in=ServicePoint.objects.restrict(user).values("pk")) | Q(micro_grids__in=mine)
    ).distinct()
    if grid is not None:
        points = points.filter(Q(grid=grid) | Q(micro_grids=grid)).distinct()
    return (
        points.select_related("grid").prefetch_related("micro_grids").order_by("grid__code", "name")
    )


def service_point_get(*, user, pk: int) -> ServicePoint:
    try:
        return service_point_list(user=user).get(pk=pk)
    except (ServicePoint.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def department_list(*, user) -> QuerySet[Department]:
    return Department.objects.restrict(user).select_related("grid").order_by("grid__code", "code")


def department_get(*, user, pk: int) -> Department:
    return get_scoped_or_404(department_list(user=user), user, pk=pk)


# --- for other domains (system reads, no user: routing, escalation) ---------------------------


def work_team_on_duty_users(*, grid_id: int) -> list[tuple[int, object]]:
    """(team member id, user) of the work team's members of a micro-grid who are on duty and
    have an active account, in member order: the people a case can be routed to."""
    return [
        (member.pk, member.user)
        for member in TeamMember.objects.filter(
            team__grid_id=grid_id,
            team__kind=TeamKind.WORK,
            on_duty=True,
            user__isnull=False,
            user__is_active=True,
        )
        .select_related("user")
        .only("id", "user")
        .order_by("id")
    ]


def grid_node_by_id(*, pk: int) -> GridNode:
    return GridNode.objects.get(pk=pk)


def town_list() -> list[GridNode]:
    return list(GridNode.objects.filter(level=Level.TOWN).order_by("code"))

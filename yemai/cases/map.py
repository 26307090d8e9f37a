"""Map data over cases for the command centre (一网统管), read-only and always in the user's scope.

The browser never gets every open case: ``map_cases`` answers the cases inside the visible box,
one marker each while there are at most ``MAX_POINTS`` of them, else clusters binned in SQL on
a square grid whose cell is about ``CELL_PX`` screen pixels at the asked zoom (Web Mercator
tiles of 256 px). Each cluster carries its count, centre and how many of its cases are red or
yellow on their step clock, so the map colours it by its worst deadline.

Coordinates are stored in WGS-84; ``shift`` (``"gcj02"`` for Amap tiles) moves every point for
display on a base map drawn in GCJ-02.
"""

from __future__ import annotations

import datetime as dt
import math

from django.db.models import Avg, Count, F, Max, Q
from django.db.models.functions import Floor
from django.utils import timezone

from . import selectors
from .choices import OPEN_STATES, State
from .deadlines import GREEN, RED, YELLOW, clock_colour
from .models import Case, Rating

MAX_POINTS = 400
CELL_PX = 60
MIN_ZOOM, MAX_ZOOM = 1, 20


def _shift(points: list[tuple[float, float]], crs: str) -> list[tuple[float, float]]:
    if crs == "wgs84" or not points:
        return points
    import numpy as np

    from yemai.grids import coords

    lon = np.array([p[0] for p in points], dtype=float)
    lat = np.array([p[1] for p in points], dtype=float)
    out_lon, out_lat = coords.from_wgs84(lon, lat, crs)
    return list(zip(out_lon.tolist(), out_lat.tolist(), strict=True))


def map_case_queryset(
    *,
    user,
    state: str = "open",
    category: str = "",
    source: str = "",
    period: str = "",
    grid: str = "",
    now: dt.datetime | None = None,
):
    """The cases the map shows: the case list's filters (``state`` defaults to open), with a place."""
    cases = selectors.case_list(
        user=user,
        state=state or "open",
        category=category or None,
        source=source or None,
        period=period or None,
        grid=grid or None,
        now=now,
    )
    return cases.filter(lon__isnull=False, lat__isnull=False)


def cell_degrees(zoom: int) -> float:
    """The side of a cluster cell in degrees of longitude at ``zoom`` (about CELL_PX pixels)."""
    zoom = max(MIN_ZOOM, min(MAX_ZOOM, int(zoom)))
    return 360.0 / (256 * 2**zoom) * CELL_PX


def map_cases(
    *,
    user,
    bbox: tuple[float, float, float, float] | None,
    zoom: int,
    shift: str = "wgs84",
    now: dt.datetime | None = None,
    **filters,
) -> dict:
    """Cases in ``bbox`` (west, south, east, north; WGS-84): points when few, else clusters.

    ``{"mode": "points"|"clusters", "total": n, "points": [...], "clusters": [...]}``;
    a point is ``id, number, lon, lat, colour, state, state_label, category``; a cluster is
    ``lon, lat, count, red, yellow, bounds``.
    """
    now = now or timezone.now()
    cases = map_case_queryset(user=user, now=now, **filters)
    cell = cell_degrees(zoom)
    if bbox is not None:
        west, south, east, north = snap_bbox(bbox, cell)
        cases = cases.filter(lon__gte=west, lon__lte=east, lat__gte=south, lat__lte=north)
    # One pass bins the cases; only when they are few does a second read fetch them one by one.
    rows = list(_bins(cases, cell, now))
    total = sum(r["count"] for r in rows)
    if total <= MAX_POINTS:
        return {
            "mode": "points",
            "total": total,
            "points": _points(cases, now, shift),
            "clusters": [],
        }
    return {
        "mode": "clusters",
        "total": total,
        "points": [],
        "clusters": _clusters(rows, cell, shift),
    }


def snap_bbox(bbox, cell: float) -> tuple[float, float, float, float]:
    """The box grown to whole cluster cells: clusters at the edge are whole, and nearby views
    share one answer (and one cache entry)."""
    west, south, east, north = bbox
    return (
        math.floor(west / cell) * cell,
        math.floor(south / cell) * cell,
        math.ceil(east / cell) * cell,
        math.ceil(north / cell) * cell,
    )


def _points(cases, now, shift) -> list[dict]:
    """One marker per case: plain rows (no model instances), coloured by the deadline rule."""
    from types import SimpleNamespace

    fields = ("id", "number", "lon", "lat", "state", "due_at", "warn_at", "escalation_level")
    rows = list(cases.order_by("id").values_list(*fields, "category__name"))
    shifted = _shift([(r[2], r[3]) for r in rows], shift)
    labels = {value: str(label) for value, label in State.choices}
    points = []
    for row, (lon, lat) in zip(rows, shifted, strict=True):
        case = SimpleNamespace(**dict(zip(fields, row[:8], strict=True)))
        colour = clock_colour(case, now)
        points.append(
            {
                "id": case.id,
                "number": case.number,
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "colour": colour if colour in (GREEN, YELLOW, RED) else "grey",
                "state": case.state,
                "state_label": labels[case.state],
                "category": row[8],
            }
        )
    return points


def _bins(cases, cell: float, now):
    overdue = Q(state__in=OPEN_STATES, due_at__isnull=False) & (
        Q(due_at__lte=now) | Q(escalation_level__gt=0)
    )
    warned = Q(state__in=OPEN_STATES, warn_at__lte=now, due_at__gt=now, escalation_level=0) & ~Q(
        due_at__isnull=True
    )
    return (
        cases.order_by()
        .annotate(bx=Floor(F("lon") / cell), by=Floor(F("lat") / cell))
        .values("bx", "by")
        .annotate(
            count=Count("id"),
            lon=Avg("lon"),
            lat=Avg("lat"),
            red=Count("id", filter=overdue),
            yellow=Count("id", filter=warned),
        )
    )


def _clusters(rows: list[dict], cell: float, shift: str) -> list[dict]:
    shifted = _shift([(r["lon"], r["lat"]) for r in rows], shift)
    clusters = []
    for row, (lon, lat) in zip(rows, shifted, strict=True):
        west, south = row["bx"] * cell, row["by"] * cell
        corners = _shift([(west, south), (west + cell, south + cell)], shift)
        clusters.append(
            {
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "count": row["count"],
                "red": row["red"],
                "yellow": row["yellow"],
                "bounds": [
                    [round(corners[0][1], 6), round(corners[0][0], 6)],
                    [round(corners[1][1], 6), round(corners[1][0], 6)],
                ],
            }
        )
    return clusters


def map_case_changes(*, user, since: dt.datetime, limit: int = 50) -> dict:
    """Cases reported or changed after ``since`` (for a map that updates without reloading)."""
    cases = selectors.case_list(user=user)
    changed = cases.filter(updated_at__gt=since)
    new = list(cases.filter(reported_at__gt=since).order_by("-reported_at", "-id")[:limit])
    latest = changed.aggregate(last=Max("updated_at"))["last"]
    return {
        "changed": changed.count(),
        "latest": latest or since,
        "new": [
            {
                "id": c.pk,
                "number": c.number,
                "category": c.category.name,
                "grid_name": c.grid.name,
                "state_label": str(State(c.state).label),
            }
            for c in new
        ],
    }


def _day_start(now: dt.datetime) -> dt.datetime:
    today = timezone.localdate(now)
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


def map_today(*, user, now: dt.datetime | None = None, grid: str = "") -> dict:
    """Today's figures in the user's scope (or under ``grid``): new, closed, open, overdue, and
    the residents' satisfaction over the last 30 days (share of ratings of 4 or 5)."""
    now = now or timezone.now()
    start = _day_start(now)
    cases = selectors.case_list(user=user, grid=grid or None)
    figures = cases.aggregate(
        new=Count("id", filter=Q(reported_at__gte=start)),
        closed=Count("id", filter=Q(state=State.CLOSED, closed_at__gte=start)),
        open=Count("id", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("id", filter=Q(state__in=OPEN_STATES, due_at__lt=now)),
        closed_30=Count(
            "id", filter=Q(state=State.CLOSED, closed_at__gte=now - dt.timedelta(days=30))
        ),
        on_time_30=Count(
            "id",
            filter=Q(
                state=State.CLOSED,
                closed_at__gte=now - dt.timedelta(days=30),
                handled_on_time=True,
            ),
        ),
    )
    ratings = Rating.objects.filter(
        case__in=cases.order_by().values("pk"), at__gte=now - dt.timedelta(days=30)
    ).aggregate(n=Count("id"), good=Count("id", filter=Q(score__gte=4)))
    satisfaction = round(100 * ratings["good"] / ratings["n"], 1) if ratings["n"] else None
    on_time = (
        round(100 * figures["on_time_30"] / figures["closed_30"], 1)
        if figures["closed_30"]
        else None
    )
    return {
        "new": figures["new"],
        "closed": figures["closed"],
        "open": figures["open"],
        "overdue": figures["overdue"],
        "satisfaction": satisfaction,
        "ratings": ratings["n"],
        "on_time": on_time,
    }


def map_grid_figures(*, user, grid_ids: list[int], now: dt.datetime | None = None) -> dict:
    """Per micro-grid: open cases, overdue cases and the closed-on-time rate (last 90 days),
    for colouring the grid polygons. ``{grid_id: {"open", "overdue", "on_time"}}``."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=90)
    rows = (
        Case.objects.restrict(user)
        .filter(grid_id__in=grid_ids)
        .order_by()
        .values("grid_id")
        .annotate(
            open=Count("id", filter=Q(state__in=OPEN_STATES)),
            overdue=Count("id", filter=Q(state__in=OPEN_STATES, due_at__lt=now)),
            closed=Count("id", filter=Q(state=State.CLOSED, closed_at__gte=since)),
            on_time=Count(
                "id", filter=Q(state=State.CLOSED, closed_at__gte=since, handled_on_time=True)
            ),
        )
    )
    out = {}
    for row in rows:
        out[row["grid_id"]] = {
            "open": row["open"],
            "overdue": row["overdue"],
            "on_time": round(100 * row["on_time"] / row["closed"], 1) if row["closed"] else None,
        }
    return out

"""Demo rows of field duty: yesterday's patrol of the demo member (login ``member``), a loop
walked round the middle of their micro-grid, so that the track shows in the API. No check-in:
a selfie of a real face has no place in demo data. Only in a demo database with its logins."""

from __future__ import annotations

import datetime as dt
import math
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from .services import PointIn, patrol_end, patrol_points_add, patrol_start

FIXES = 180  # thirty minutes, one fix every ten seconds


def demo_populate(*, plan, loaded, seed: int, progress: bool) -> dict[str, int]:
    member = get_user_model().objects.filter(username="member", scope__isnull=False).first()
    grid = member.scope if member is not None else None
    if grid is None or grid.min_lon is None:
        return {}
    rng = random.Random(seed)
    centre_lon = (grid.min_lon + grid.max_lon) / 2
    centre_lat = (grid.min_lat + grid.max_lat) / 2
    # A loop a third as wide as the grid, with a few metres of GPS noise.
    rx = (grid.max_lon - grid.min_lon) / 6
    ry = (grid.max_lat - grid.min_lat) / 6
    began = (timezone.now() - dt.timedelta(days=1)).replace(hour=1, minute=30, second=0)
    points = []
    for i in range(FIXES):
        angle = 2 * math.pi * i / (FIXES - 1)
        points.append(
            PointIn(
                lon=centre_lon + rx * math.cos(angle) + rng.gauss(0, 0.00002),
                lat=centre_lat + ry * math.sin(angle) + rng.gauss(0, 0.00002),
                accuracy=round(rng.uniform(4, 15), 1),
                recorded_at=began + dt.timedelta(seconds=10 * i),
            )
        )
    ends = began + dt.timedelta(seconds=10 * FIXES)
    patrol, _created = patrol_start(user=member, now=began)
    patrol_points_add(user=member, patrol_id=patrol.pk, points=points, now=ends)
    patrol_end(user=member, patrol_id=patrol.pk, now=ends)
    return {"patrol track points": FIXES}

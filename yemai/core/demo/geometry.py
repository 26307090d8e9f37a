"""Geometry of the demo town, made in local metres and turned into WGS-84 degrees at the end.

The town is a slightly irregular, roughly rectangular polygon (about 14 km × 10 km). Villages
and communities are Voronoi cells of seeds spread by k-means over a point cloud that is denser
near the centre, so urban communities come out small near the centre and rural villages large
outside. Micro-grids are the Voronoi cells of k-means seeds inside each village, clipped to it:
children tile their parent with no overlap and no gap, by construction.

Pure functions of a ``numpy.random.Generator``: no Django, so the locate benchmark uses them too.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from yemai.grids.geo import M_PER_DEG_LAT

CENTRE = (121.25, 30.17)  # lon, lat: near 慈溪, Zhejiang
HALF_WIDTH_M = 7_000.0
HALF_HEIGHT_M = 5_000.0


def town_outline(rng: np.random.Generator, vertices: int = 36) -> Polygon:
    """A rounded rectangle (superellipse) with a wobbly edge, centred on (0, 0), in metres."""
    angles = np.linspace(0, 2 * math.pi, vertices, endpoint=False)
    angles += rng.uniform(-0.3, 0.3, vertices) * (2 * math.pi / vertices)
    p = 4.0
    c, s = np.abs(np.cos(angles)), np.abs(np.sin(angles))
    radius = ((c / HALF_WIDTH_M) ** p + (s / HALF_HEIGHT_M) ** p) ** (-1 / p)
    wobble = rng.normal(0, 0.05, vertices)
    wobble = (wobble + np.roll(wobble, 1) + np.roll(wobble, -1)) / 2  # smooth, not spiky
    radius *= 1 + np.clip(wobble, -0.12, 0.12)
    return Polygon(np.column_stack([radius * np.cos(angles), radius * np.sin(angles)]))


def random_points(rng: np.random.Generator, region: BaseGeometry, n: int) -> np.ndarray:
    """``n`` points drawn uniformly inside ``region`` (an (n, 2) array)."""
    if n <= 0:
        return np.empty((0, 2))
    shapely.prepare(region)
    minx, miny, maxx, maxy = region.bounds
    ratio = max(region.area / ((maxx - minx) * (maxy - miny)), 0.05)
    found: list[np.ndarray] = []
    have = 0
    while have < n:
        m = int((n - have) / ratio * 1.3) + 16
        xs = rng.uniform(minx, maxx, m)
        ys = rng.uniform(miny, maxy, m)
        inside = shapely.contains_xy(region, xs, ys)
        chunk = np.column_stack([xs[inside], ys[inside]])
        found.append(chunk)
        have += len(chunk)
    return np.concatenate(found)[:n]


def kmeans_seeds(points: np.ndarray, k: int, iterations: int = 12) -> np.ndarray:
    """``k`` well-spread seeds: k-means over ``points``, each seed snapped onto its nearest
    point so it lies inside the region the points came from."""
    if k >= len(points):
        return points[:k].copy()
    # Start from a farthest-point sample: deterministic and well spread.
    chosen = [0]
    dist = np.linalg.norm(points - points[0], axis=1)
    for _ in range(1, k):
        nxt = int(dist.argmax())
        chosen.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(points - points[nxt], axis=1))
    centres = points[chosen].copy()
    for _ in range(iterations):
        d = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        label = d.argmin(axis=1)
        for j in range(k):
            members = points[label == j]
            if len(members):
                centres[j] = members.mean(axis=0)
    # Snap each centre to the nearest input point (inside the region by construction).
    d = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    snapped = points[d.argmin(axis=0)]
    # Two centres snapping to the same point would share a cell: nudge the duplicate.
    _, first = np.unique(snapped, axis=0, return_index=True)
    for j in sorted(set(range(k)) - set(first.tolist())):
        order = np.argsort(d[:, j])
        taken = {tuple(p) for p in snapped[np.arange(k) != j]}
        snapped[j] = next(points[i] for i in order if tuple(points[i]) not in taken)
    return snapped


def polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """The polygon parts of ``geom`` (an intersection may add stray lines or points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    if not parts:
        parts = [
            q
            for p in shapely.get_parts(geom)
            if p.geom_type == "MultiPolygon"
            for q in shapely.get_parts(p)
        ]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def voronoi_cells(seeds: np.ndarray, clip: BaseGeometry) -> list[Polygon | MultiPolygon]:
    """The Voronoi cell of each seed (in the seeds' order), clipped to ``clip``."""
    if len(seeds) == 1:
        return [polygonal(clip)]
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=clip.buffer(1000), ordered=True
    )
    cells = shapely.get_parts(diagram)
    return [polygonal(shapely.intersection(cell, clip)) for cell in cells]


def village_seeds(rng: np.random.Generator, outline: Polygon, k: int) -> np.ndarray:
    """Seeds of villages and communities: denser near the centre, ordered centre outwards."""
    n = 60 * k
    uniform = random_points(rng, outline, n)
    core = rng.normal(0, 1, (3 * n, 2)) * (HALF_WIDTH_M * 0.13, HALF_HEIGHT_M * 0.15)
    core = core[shapely.contains_xy(outline, core[:, 0], core[:, 1])]
    seeds = kmeans_seeds(np.concatenate([uniform, core]), k)
    order = np.lexsort((np.arctan2(seeds[:, 1], seeds[:, 0]), np.hypot(seeds[:, 0], seeds[:, 1])))
    return seeds[order]


def micro_seeds(rng: np.random.Generator, village: BaseGeometry, k: int) -> np.ndarray:
    """Seeds of ``k`` micro-grids inside one village, ordered west to east, north to south."""
    seeds = kmeans_seeds(random_points(rng, village, 60 * k), k)
    order = np.lexsort((seeds[:, 0], -np.round(seeds[:, 1] / 400)))
    return seeds[order]


def _kx(lat0: float) -> float:
    return M_PER_DEG_LAT * math.cos(math.radians(lat0))


def to_degrees(geom: BaseGeometry, centre: tuple[float, float] = CENTRE) -> BaseGeometry:
    """Local metres about ``centre`` → WGS-84 lon/lat (an affine map: tilings stay tilings)."""
    lon0, lat0 = centre
    return shapely.transform(geom, lambda c: c / (_kx(lat0), M_PER_DEG_LAT) + (lon0, lat0))


def xy_to_degrees(
    xy: np.ndarray, centre: tuple[float, float] = CENTRE
) -> tuple[np.ndarray, np.ndarray]:
    lon0, lat0 = centre
    return lon0 + xy[:, 0] / _kx(lat0), lat0 + xy[:, 1] / M_PER_DEG_LAT

"""``locate(lon, lat)``: which micro-grid holds a point, from an in-process spatial index.

The index is a shapely STRtree over every micro-grid boundary, ordered by grid code, with a
lattice of cells in front of it: a point in a cell lying wholly inside one grid needs no
geometry test (see ``GridIndex._build_cells``).

* **Inside one grid**: that grid.
* **On a shared border** (or inside two overlapping grids): the grid with the *lowest code*
  wins. The choice is arbitrary but fixed, so the same point always routes to the same grid
  whatever the order boundaries were loaded in.
* **Outside every grid**: the nearest micro-grid within ``GRID_LOCATE_NEAREST_M`` metres
  (``nearest_m`` overrides it; 0 turns it off), else ``None``.

The index is rebuilt when a boundary changes: at once in the process that made the change
(``invalidate`` runs on commit), and in other processes within ``check_seconds`` (each one
compares the count and newest ``updated_at`` of micro-grids at most that often).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, Max

from .geo import EARTH_RADIUS_M, M_PER_DEG_LAT

CHECK_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Hit:
    grid_id: int
    code: str
    name: str
    distance_m: float  # 0 when the point is inside


class GridIndex:
    """An immutable snapshot of the micro-grid boundaries."""

    def __init__(self, ids: list[int], codes: list[str], names: list[str], wkbs: list[bytes]):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.codes = codes
        self.names = names
        self.geoms = shapely.from_wkb(wkbs) if wkbs else np.empty(0, dtype=object)
        self.tree = shapely.STRtree(self.geoms)
        if len(self.geoms):
            bounds = shapely.total_bounds(self.geoms)
            self.lat0 = (bounds[1] + bounds[3]) / 2
        else:
            self.lat0 = 30.0
        # For "nearest within N metres": the same shapes with longitude scaled by cos(lat0),
        # so distances are isotropic (in degrees of latitude) — built on first need only.
        self._kx = math.cos(math.radians(self.lat0))
        self._scaled_tree: shapely.STRtree | None = None
        # Hits inside a grid never change: each is built once (a frozen dataclass costs
        # microseconds to make, a third of a single locate()).
        self._hits: list[Hit | None] = [None] * len(self.ids)
        self._build_cells()

    # A uniform lattice of cells over the grids' extent, about CELLS_PER_GRID cells per grid.
    # A cell lying wholly in the interior of one grid answers a point in it with no geometry
    # test at all (most points); any other cell keeps the few grids that touch it, tested in
    # code order with a prepared point-in-polygon test. Cells are widened by CELL_MARGIN
    # degrees (about 0.1 mm) so floating-point rounding at a cell edge cannot misplace a point.
    CELLS_PER_GRID = 4
    CELL_MARGIN = 1e-9
    MAX_CELLS_PER_AXIS = 4096

    def _build_cells(self) -> None:
        self._nx = self._ny = 0
        if not len(self.geoms):
            return
        shapely.prepare(self.geoms)
        minx, miny, maxx, maxy = shapely.total_bounds(self.geoms)
        width, height = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
        target = max(64, self.CELLS_PER_GRID * len(self.geoms))
        nx = int(min(self.MAX_CELLS_PER_AXIS, max(1, round(math.sqrt(target * width / height)))))
        ny = int(min(self.MAX_CELLS_PER_AXIS, max(1, round(target / nx))))
        self._nx, self._ny = nx, ny
        self._x0, self._y0 = minx, miny
        self._kxc, self._kyc = nx / width, ny / height
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
        ix, iy = ix.ravel(), iy.ravel()  # cell c = iy * nx + ix
        m = self.CELL_MARGIN
        cells = shapely.box(
            minx + ix * (width / nx) - m,
            miny + iy * (height / ny) - m,
            minx + (ix + 1) * (width / nx) + m,
            miny + (iy + 1) * (height / ny) + m,
        )
        big = np.iinfo(np.int64).max
        owner = np.full(nx * ny, big, dtype=np.int64)
        inside = shapely.STRtree(cells).query(self.geoms, predicate="contains_properly")
        np.minimum.at(owner, inside[1], inside[0])
        owner[owner == big] = -1
        self._owner = owner
        self._owner_list = owner.tolist()
        open_cells = np.flatnonzero(owner < 0)
        pairs = self.tree.query(cells[open_cells], predicate="intersects")
        order = np.lexsort((pairs[1], pairs[0]))
        cell_of, grid_of = open_cells[pairs[0][order]], pairs[1][order]
        candidates: dict[int, tuple[int, ...]] = {}
        if len(cell_of):
            starts = np.flatnonzero(np.r_[True, cell_of[1:] != cell_of[:-1]])
            for start, end in zip(starts, np.r_[starts[1:], len(cell_of)], strict=True):
                candidates[int(cell_of[start])] = tuple(grid_of[start:end].tolist())
        self._candidates = candidates

    def _cell(self, lon: float, lat: float) -> int:
        ix = int((lon - self._x0) * self._kxc)
        iy = int((lat - self._y0) * self._kyc)
        if lon < self._x0 or lat < self._y0 or ix > self._nx or iy > self._ny:
            return -1
        return min(iy, self._ny - 1) * self._nx + min(ix, self._nx - 1)

    def __len__(self) -> int:
        return len(self.ids)

    def hit(self, i: int, distance_m: float = 0.0) -> Hit:
        if distance_m:
            return Hit(int(self.ids[i]), self.codes[i], self.names[i], distance_m)
        hit = self._hits[i]
        if hit is None:
            hit = self._hits[i] = Hit(int(self.ids[i]), self.codes[i], self.names[i], 0.0)
        return hit

    def _scaled(self) -> shapely.STRtree:
        if self._scaled_tree is None:
            kx = self._kx
            scaled = shapely.transform(self.geoms, lambda c: c * (kx, 1.0))
            self._scaled_tree = shapely.STRtree(scaled)
        return self._scaled_tree

    def locate(self, lon: float, lat: float, nearest_m: float) -> Hit | None:
        if not len(self):
            return None
        cell = self._cell(lon, lat)
        if cell >= 0:
            owner = self._owner_list[cell]
            if owner >= 0:  # the usual case: deep inside one grid
                return self.hit(owner)
            geoms = self.geoms
            for i in self._candidates.get(cell, ()):  # in code order: lowest code wins
                if shapely.intersects_xy(geoms[i], lon, lat):
                    return self.hit(i)
        if nearest_m <= 0:
            return None
        idx, dist = self._scaled().query_nearest(
            shapely.Point(lon * self._kx, lat),
            max_distance=nearest_m / M_PER_DEG_LAT,
            return_distance=True,
            all_matches=True,
        )
        if not len(idx):
            return None
        best = int(idx.min())  # equidistant: lowest code, as on a border
        return self.hit(best, float(dist[0]) * M_PER_DEG_LAT)

    def locate_many(
        self, lons: np.ndarray, lats: np.ndarray, nearest_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions into the index (-1 for none) and distances in metres, one per point."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        n = len(lons)
        result = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        distances = np.zeros(n, dtype=float)
        if not len(self) or not n:
            return np.full(n, -1, dtype=np.int64), distances
        # A NaN or infinite coordinate lies in no grid (and would make GEOS's nearest fail).
        finite = np.isfinite(lons) & np.isfinite(lats)
        safe_lons, safe_lats = np.where(finite, lons, 0.0), np.where(finite, lats, 0.0)
        # Points deep inside one grid are answered by their cell alone.
        ix = np.floor((safe_lons - self._x0) * self._kxc).astype(np.int64)
        iy = np.floor((safe_lats - self._y0) * self._kyc).astype(np.int64)
        in_lattice = finite & (ix >= 0) & (iy >= 0) & (ix <= self._nx) & (iy <= self._ny)
        cells = np.minimum(iy, self._ny - 1) * self._nx + np.minimum(ix, self._nx - 1)
        owners = np.where(in_lattice, self._owner[np.where(in_lattice, cells, 0)], -1)
        settled = owners >= 0
        result[settled] = owners[settled]
        rest = np.flatnonzero(finite & ~settled)
        if len(rest):
            points = shapely.points(safe_lons[rest], safe_lats[rest])
            pairs = self.tree.query(points, predicate="intersects")
            np.minimum.at(result, rest[pairs[0]], pairs[1])
        unfound = result == np.iinfo(np.int64).max
        result[unfound] = -1
        missing = np.flatnonzero(unfound & finite)
        if len(missing) and nearest_m > 0:
            scaled = shapely.points(lons[missing] * self._kx, lats[missing])
            pairs, dist = self._scaled().query_nearest(
                scaled,
                max_distance=nearest_m / M_PER_DEG_LAT,
                return_distance=True,
                all_matches=True,
            )
            best = np.full(len(missing), np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(best, pairs[0], pairs[1])
            found = best != np.iinfo(np.int64).max
            result[missing[found]] = best[found]
            d = np.zeros(len(missing))
            d[pairs[0]] = dist * M_PER_DEG_LAT
            distances[missing[found]] = d[found]
        return result, distances


_lock = threading.Lock()
_index: GridIndex | None = None
_signature: tuple | None = None
_checked_at = 0.0


def _current_signature() -> tuple:
    from .choices import Level
    from .models import GridNode

    agg = GridNode.objects.filter(level=Level.MICRO).aggregate(n=Count("id"), t=Max("updated_at"))
    return (agg["n"], agg["t"])


def build_index() -> GridIndex:
    from .choices import Level
    from .models import GridNode

    rows = (
        GridNode.objects.filter(level=Level.MICRO, boundary__isnull=False)
        .order_by("code")
        .values_list("id", "code", "name", "boundary")
    )
    ids, codes, names, wkbs = [], [], [], []
    for pk, code, name, wkb in rows.iterator(chunk_size=5000):
        ids.append(pk)
        codes.append(code)
        names.append(name)
        wkbs.append(bytes(wkb))
    return GridIndex(ids, codes, names, wkbs)


def get_index() -> GridIndex:
    """The current index, rebuilt if boundaries changed since it was built."""
    global _index, _signature, _checked_at
    now = time.monotonic()
    if _index is not None and now - _checked_at < CHECK_SECONDS:
        return _index
    with _lock:
        if _index is not None and now - _checked_at < CHECK_SECONDS:
            return _index
        signature = _current_signature()
        if _index is None or signature != _signature:
            _index = build_index()
            _signature = signature
        _checked_at = time.monotonic()
        return _index


def invalidate() -> None:
    """Forget the index: the next locate() rebuilds it."""
    global _index, _signature, _checked_at
    with _lock:
        _index = None
        _signature = None
        _checked_at = 0.0


def _nearest_default(nearest_m: float | None) -> float:
    return settings.GRID_LOCATE_NEAREST_M if nearest_m is None else nearest_m


def locate(lon: float, lat: float, *, nearest_m: float | None = None) -> Hit | None:
    """The micro-grid holding (lon, lat) in WGS-84, or the nearest within reach, or None."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    return get_index().locate(lon, lat, _nearest_default(nearest_m))


def locate_many(lons, lats, *, nearest_m: float | None = None) -> list[Hit | None]:
    """``locate`` for many points at once (vectorised): one Hit or None per point."""
    index = get_index()
    positions, distances = index.locate_many(lons, lats, _nearest_default(nearest_m))
    return [
        index.hit(int(p), float(d)) if p >= 0 else None
        for p, d in zip(positions, distances, strict=True)
    ]


__all__ = ["Hit", "GridIndex", "locate", "locate_many", "invalidate", "get_index", "EARTH_RADIUS_M"]

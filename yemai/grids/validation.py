"""Checks of boundaries (边界检查), for one node or for a whole subtree (codes: ``codes.py``).

Errors block a save or an import: an invalid or self-intersecting ring, a child sticking out
of its parent by more than ``GRID_BOUNDARY_TOLERANCE_M`` metres, siblings overlapping by more
than that. Warnings do not: a gap inside a parent that none of its children covers (below
``GRID_GAP_MIN_AREA_M2`` m², or thinner than the tolerance, it is ignored as survey noise).

Geometry is compared in metres (``geo.to_local_metres`` about the parent's centre), so the
tolerance means the same everywhere in the country.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from .codes import code_errors, level_from_code  # noqa: F401  (part of this module's API)
from .geo import M_PER_DEG_LAT, to_local_metres

AREA_EPSILON_M2 = 1e-3  # below this an area is floating-point noise, not a shape
_REASON = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]$")


@dataclass(frozen=True)
class Issue:
    """One finding: ``kind`` is invalid, outside_parent, overlap or gap."""

    code: str
    kind: str
    message: str
    other: str = ""
    area_m2: float = 0.0


@dataclass
class BoundaryReport:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def extend(self, other: BoundaryReport) -> None:
        self.errors += other.errors
        self.warnings += other.warnings

    def raise_for_errors(self, field_name: str = "boundary") -> None:
        if self.errors:
            raise ValidationError({field_name: [issue.message for issue in self.errors]})


@dataclass(frozen=True)
class GridShape:
    """What the checks need of a node, saved or not: an import checks files before saving."""

    code: str
    level: str
    parent_code: str | None
    geom: BaseGeometry | None


# --- geometry ------------------------------------------------------------------------------


def describe_invalid(reason: str) -> str:
    """GEOS's ``Self-intersection[121.2 30.2]`` → ``Self-intersection at 121.2 30.2``."""
    match = _REASON.match(reason.strip())
    if not match:
        return reason
    return f"{match['what']} at {match['x']} {match['y']}"


def geometry_errors(code: str, geom: BaseGeometry | None) -> list[Issue]:
    """Errors of a boundary on its own: type, emptiness, degrees, ring validity."""
    if geom is None:
        return []

    def issue(message: str) -> list[Issue]:
        return [Issue(code=code, kind="invalid", message=message)]

    if geom.geom_type not in {"Polygon", "MultiPolygon"}:
        return issue(
            _("Grid %(code)s: a boundary must be a Polygon or MultiPolygon, not %(kind)s")
            % {"code": code, "kind": geom.geom_type}
        )
    if geom.is_empty:
        return issue(_("Grid %(code)s: the boundary is empty") % {"code": code})
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return issue(_("Grid %(code)s: the boundary has missing coordinates") % {"code": code})
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        return issue(
            _(
                "Grid %(code)s: coordinates such as %(x)s %(y)s are not longitude and "
                "latitude; export the boundary in WGS-84 or CGCS2000 degrees"
            )
            % {"code": code, "x": round(coords[0][0], 3), "y": round(coords[0][1], 3)}
        )
    if not geom.is_valid:
        return issue(
            _("Grid %(code)s: the boundary is invalid: %(reason)s")
            % {"code": code, "reason": describe_invalid(shapely.is_valid_reason(geom))}
        )
    return []


def _tolerance(tolerance_m: float | None) -> float:
    return settings.GRID_BOUNDARY_TOLERANCE_M if tolerance_m is None else tolerance_m


def _gap_min(gap_min_m2: float | None) -> float:
    return settings.GRID_GAP_MIN_AREA_M2 if gap_min_m2 is None else gap_min_m2


def _lonlat(point_m: BaseGeometry, origin: tuple[float, float]) -> tuple[float, float]:
    """A point in local metres back to lon/lat, for messages that say where to look."""
    lon0, lat0 = origin
    kx = M_PER_DEG_LAT * np.cos(np.radians(lat0))
    return lon0 + point_m.x / kx, lat0 + point_m.y / M_PER_DEG_LAT


def _centre(geom: BaseGeometry) -> tuple[float, float]:
    minx, miny, maxx, maxy = geom.bounds
    return ((minx + maxx) / 2, (miny + maxy) / 2)


def _stick_out(child: GridShape, child_m, parent: GridShape, parent_m, tol: float) -> list[Issue]:
    outside = child_m.difference(parent_m.buffer(tol)) if tol > 0 else child_m.difference(parent_m)
    if outside.is_empty or outside.area < AREA_EPSILON_M2:
        return []
    beyond = child_m.difference(parent_m)
    vertices = shapely.points(shapely.get_coordinates(shapely.segmentize(outside, max(tol, 1.0))))
    distance = float(shapely.distance(parent_m, vertices).max())
    return [
        Issue(
            code=child.code,
            kind="outside_parent",
            other=parent.code,
            area_m2=beyond.area,
            message=_(
                "Grid %(code)s sticks out of its parent %(parent)s by up to %(distance).1f m "
                "(%(area).1f m² outside)"
            )
            % {
                "code": child.code,
                "parent": parent.code,
                "distance": distance,
                "area": beyond.area,
            },
        )
    ]


def _overlaps(shapes: list[GridShape], metres: list, origin, tol: float) -> list[Issue]:
    """Sibling pairs whose overlap is thicker than the tolerance, lowest codes first."""
    if len(shapes) < 2:
        return []
    tree = shapely.STRtree(metres)
    left, right = tree.query(metres, predicate="intersects")
    issues = []
    for i, j in sorted(zip(left.tolist(), right.tolist(), strict=True)):
        if i >= j:
            continue
        inter = metres[i].intersection(metres[j])
        if inter.area < AREA_EPSILON_M2:
            continue  # a shared border or corner
        if tol > 0 and inter.buffer(-tol / 2).is_empty:
            continue  # a sliver within the survey tolerance
        a, b = sorted([shapes[i].code, shapes[j].code])
        lon, lat = _lonlat(inter.representative_point(), origin)
        issues.append(
            Issue(
                code=a,
                kind="overlap",
                other=b,
                area_m2=inter.area,
                message=_(
                    "Grids %(code)s and %(other)s overlap by %(area).1f m² around %(lon).6f %(lat).6f"
                )
                % {"code": a, "other": b, "area": inter.area, "lon": lon, "lat": lat},
            )
        )
    return issues


def _gaps(parent: GridShape, parent_m, children_m: list, origin, tol: float, min_area: float):
    gap = parent_m.difference(shapely.union_all(children_m))
    issues = []
    for piece in shapely.get_parts(gap):
        if piece.area < max(min_area, AREA_EPSILON_M2):
            continue
        if tol > 0 and piece.buffer(-tol / 2).is_empty:
            continue  # a sliver along a border within the survey tolerance
        lon, lat = _lonlat(piece.representative_point(), origin)
        issues.append(
            Issue(
                code=parent.code,
                kind="gap",
                area_m2=piece.area,
                message=_(
                    "Grid %(code)s: %(area).1f m² around %(lon).6f %(lat).6f belong to none of "
                    "its children"
                )
                % {"code": parent.code, "area": piece.area, "lon": lon, "lat": lat},
            )
        )
    return issues


def _check_family(
    parent: GridShape | None,
    children: list[GridShape],
    *,
    tol: float,
    gap_min: float,
    gaps: bool = True,
) -> BoundaryReport:
    """A parent and its (valid) children: stick-outs, sibling overlaps and gaps."""
    report = BoundaryReport()
    children = [c for c in children if c.geom is not None]
    if not children:
        return report
    anchor = parent.geom if parent is not None and parent.geom is not None else None
    origin = _centre(
        anchor if anchor is not None else shapely.union_all([c.geom for c in children])
    )
    children_m = [to_local_metres(c.geom, origin) for c in children]
    if anchor is not None:
        parent_m = to_local_metres(anchor, origin)
        for child, child_m in zip(children, children_m, strict=True):
            report.errors += _stick_out(child, child_m, parent, parent_m, tol)
        if gaps:
            report.warnings += _gaps(parent, parent_m, children_m, origin, tol, gap_min)
    report.errors += _overlaps(children, children_m, origin, tol)
    return report


def check_tree(
    shapes: Iterable[GridShape],
    *,
    tolerance_m: float | None = None,
    gap_min_m2: float | None = None,
) -> BoundaryReport:
    """Check a set of nodes: each boundary, each parent with its children, sibling overlaps.

    Nodes whose parent is not in the set are compared with each other only when they are
    towns (no parent at all); otherwise their parent is outside the check.
    """
    tol, gap_min = _tolerance(tolerance_m), _gap_min(gap_min_m2)
    shapes = sorted(shapes, key=lambda s: s.code)
    by_code = {s.code: s for s in shapes}
    report = BoundaryReport()
    valid: dict[str, GridShape] = {}
    for shape in shapes:
        errors = geometry_errors(shape.code, shape.geom)
        report.errors += errors
        valid[shape.code] = (
            shape if not errors else GridShape(shape.code, shape.level, shape.parent_code, None)
        )
    families: dict[str | None, list[GridShape]] = defaultdict(list)
    for shape in valid.values():
        if shape.parent_code in by_code or shape.parent_code is None:
            families[shape.parent_code].append(shape)
    for parent_code, children in families.items():
        parent = valid.get(parent_code) if parent_code else None
        report.extend(_check_family(parent, children, tol=tol, gap_min=gap_min))
    return report


# --- against the database ------------------------------------------------------------------


def _shape(node) -> GridShape:
    return GridShape(
        code=node.code,
        level=node.level,
        parent_code=node.parent.code if node.parent_id else None,
        geom=node.geometry,
    )


def _subtree_shapes(root) -> list[GridShape]:
    from .models import GridNode

    nodes = GridNode.objects.select_related("parent").order_by("code")
    if root is not None:
        nodes = nodes.filter(path__startswith=root.path)
    shapes = [_shape(n) for n in nodes]
    if root is not None:
        # The root's own parent is outside the check: do not compare the root with anything.
        shapes = [
            GridShape(s.code, s.level, None, s.geom) if s.code == root.code else s for s in shapes
        ]
    return shapes


def _node_report(node, geom, *, tol: float, gap_min: float) -> BoundaryReport:
    """One node about to be saved with ``geom``: its parent, its siblings, its own children."""
    from .models import GridNode

    shape = GridShape(node.code, node.level, node.parent.code if node.parent_id else None, geom)
    report = BoundaryReport(errors=geometry_errors(node.code, geom))
    if geom is None or report.errors:
        return report
    minx, miny, maxx, maxy = geom.bounds
    siblings = GridNode.objects.filter(
        parent_id=node.parent_id,
        boundary__isnull=False,
        min_lon__lte=maxx,
        max_lon__gte=minx,
        min_lat__lte=maxy,
        max_lat__gte=miny,
    ).select_related("parent")
    if node.pk:
        siblings = siblings.exclude(pk=node.pk)
    others = [s for s in (_shape(n) for n in siblings) if not geometry_errors(s.code, s.geom)]
    parent = _shape(node.parent) if node.parent_id else None
    if parent is not None and geometry_errors(parent.code, parent.geom):
        parent = None
    family = _check_family(parent, [shape, *others], tol=tol, gap_min=gap_min, gaps=False)
    # Only what involves this node: old quarrels between siblings are not its fault.
    report.errors += [i for i in family.errors if node.code in (i.code, i.other)]
    if node.pk:
        children = [
            s
            for s in (
                _shape(n)
                for n in GridNode.objects.filter(parent_id=node.pk).select_related("parent")
            )
            if not geometry_errors(s.code, s.geom)
        ]
        below = _check_family(shape, children, tol=tol, gap_min=gap_min)
        # The new outline must hold its children; overlaps among them are not its doing.
        report.errors += [i for i in below.errors if i.kind == "outside_parent"]
        report.warnings += below.warnings
    return report


def boundary_check(
    *,
    root=None,
    node=None,
    boundary: BaseGeometry | None = None,
    tolerance_m: float | None = None,
    gap_min_m2: float | None = None,
) -> BoundaryReport:
    """Check boundaries and return a report of errors and warnings.

    * ``node`` (saved or not) with ``boundary`` (default: its own): that one boundary, against
      its parent, its siblings and its own children — what a create or an update must pass.
    * otherwise the subtree under ``root`` (everything when None): what ``yemai grids check``
      and the importer run.
    """
    tol, gap_min = _tolerance(tolerance_m), _gap_min(gap_min_m2)
    if node is not None:
        geom = boundary if boundary is not None else node.geometry
        return _node_report(node, geom, tol=tol, gap_min=gap_min)
    return check_tree(_subtree_shapes(root), tolerance_m=tol, gap_min_m2=gap_min)

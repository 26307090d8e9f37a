"""Reads the pages need beyond the JSON API: map layers (grids, cameras, service points), the
public boards (公示) and the QR targets. Scoped reads go through the grids selectors; the
public board reads only what a printed board shows (names, duties, areas, masked phones).
"""

from __future__ import annotations

import importlib

from django.db.models import Prefetch
from django.http import Http404
from shapely.geometry import mapping

from yemai.accounts.roles import Role
from yemai.core.masking import mask_phone
from yemai.grids import selectors as grid_selectors
from yemai.grids.choices import Level, TeamKind
from yemai.grids.models import Department, GridNode, ServicePoint, TeamMember

# Home page of each role (login sends people there).
ROLE_HOME = {
    Role.MEMBER: "web:member",
    Role.MICRO_LEADER: "web:leader",
    Role.VILLAGE_HEAD: "web:centre",
    Role.TOWN_HEAD: "web:centre",
    Role.CENTRE_OPERATOR: "web:centre",
    Role.DEPARTMENT: "web:department",
}


def _shifted(points, crs: str):
    if crs == "wgs84" or not points:
        return points
    import numpy as np

    from yemai.grids import coords

    lon = np.array([p[0] for p in points], dtype=float)
    lat = np.array([p[1] for p in points], dtype=float)
    out_lon, out_lat = coords.from_wgs84(lon, lat, crs)
    return list(zip(out_lon.tolist(), out_lat.tolist(), strict=True))


def map_grid_features(*, user, shift: str = "wgs84") -> list[dict]:
    """The micro-grids in scope as GeoJSON features (simplified to ~1 m), WGS-84 or shifted."""
    from yemai.grids import coords

    features = []
    for node in grid_selectors.grid_node_list(user=user, level=Level.MICRO):
        geom = node.geometry
        if geom is None:
            continue
        geom = geom.simplify(0.00001, preserve_topology=True)
        if shift != "wgs84":
            geom = coords.transform_geometry(geom, coords.WGS84, shift)
        features.append(
            {
                "type": "Feature",
                "id": node.pk,
                "properties": {"id": node.pk, "code": node.code, "name": node.name},
                "geometry": mapping(geom),
            }
        )
    return features


def map_service_points(*, user, shift: str = "wgs84") -> list[dict]:
    points = list(grid_selectors.service_point_list(user=user))
    at = _shifted([(p.lon, p.lat) for p in points], shift)
    return [
        {
            "id": p.pk,
            "name": p.name,
            "address": p.address,
            "hours": p.opening_hours,
            "lon": round(lon, 6),
            "lat": round(lat, 6),
        }
        for p, (lon, lat) in zip(points, at, strict=True)
    ]


def map_cameras(*, user, shift: str = "wgs84") -> list[dict] | None:
    """Cameras in scope from the vision app's map selector, or None while it does not exist."""
    try:
        vision = importlib.import_module("yemai.vision.selectors")
    except ImportError:
        return None
    camera_map_list = getattr(vision, "camera_map_list", None)
    if camera_map_list is None:
        return None
    rows = list(camera_map_list(user=user))
    at = _shifted([(r["lon"], r["lat"]) for r in rows], shift)
    return [
        {
            "id": r["id"],
            "code": r["code"],
            "name": r["name"],
            "enabled": r.get("enabled", True),
            "status": r.get("status", ""),
            "lon": round(lon, 6),
            "lat": round(lat, 6),
        }
        for r, (lon, lat) in zip(rows, at, strict=True)
    ]


# --- public (no account) ----------------------------------------------------------------------


def public_micro_grid(*, code: str) -> GridNode:
    """A micro-grid or village by code for the public board and the portal; else 404."""
    node = (
        GridNode.objects.select_related("parent")
        .filter(code=code[:20], level__in=[Level.MICRO, Level.VILLAGE])
        .first()
    )
    if node is None:
        raise Http404
    return node


def public_board(*, node: GridNode) -> dict:
    """What the printed board (公示) of a micro-grid shows: its leader, its three teams with
    their members (phones masked), duties and areas, and the service points serving it."""
    members = TeamMember.objects.order_by("-is_leader", "name")
    teams = list(
        node.teams.prefetch_related(Prefetch("members", queryset=members)).order_by("kind")
    )
    order = {TeamKind.MANAGEMENT: 0, TeamKind.WORK: 1, TeamKind.VOLUNTEER: 2}
    teams.sort(key=lambda t: order.get(t.kind, 9))
    leader = None
    rows = []
    for team in teams:
        people = [
            {
                "name": m.name,
                "phone": mask_phone(m.phone) if m.phone else "",
                "duty": m.duty,
                "area": m.area_note,
                "is_leader": m.is_leader,
                "tags": m.duty_tags or [],
            }
            for m in team.members.all()
        ]
        if team.kind == TeamKind.MANAGEMENT and leader is None:
            leader = next((p for p in people if p["is_leader"]), None)
        rows.append({"kind": team.get_kind_display(), "code": team.kind, "members": people})
    if leader is None:
        leader = next((p for t in rows for p in t["members"] if p["is_leader"]), None)
    points = ServicePoint.objects.filter(micro_grids=node) | ServicePoint.objects.filter(grid=node)
    return {
        "node": node,
        "leader": leader,
        "teams": rows,
        "points": list(points.distinct().order_by("name")),
        "children": list(node.children.order_by("code")) if node.level == Level.VILLAGE else [],
    }


def public_service_point(*, pk: int) -> ServicePoint:
    point = ServicePoint.objects.select_related("grid").filter(pk=pk).first()
    if point is None:
        raise Http404
    return point


def qr_targets(*, user) -> dict:
    """Service points and micro-grids in scope, for the printable QR sheet."""
    return {
        "points": list(grid_selectors.service_point_list(user=user)),
        "grids": list(grid_selectors.grid_node_list(user=user, level=Level.MICRO)),
    }


def departments_for_grid(*, grid_path: str) -> list[dict]:
    """Departments of the grid's ancestors (a town's 城管, 市场监管 …) that a case there may go to."""
    ids = [int(p) for p in grid_path.strip("/").split("/") if p.isdigit()]
    rows = Department.objects.filter(grid_id__in=ids).order_by("code")
    return [{"id": d.pk, "code": d.code, "name": d.name} for d in rows]


def public_grid_features(*, shift: str = "wgs84") -> dict:
    """Every micro-grid's outline and name (what the printed boards show), for the portal's map."""
    from yemai.grids import coords

    features = []
    for node in GridNode.objects.filter(level=Level.MICRO, boundary__isnull=False).order_by("code"):
        geom = node.geometry.simplify(0.00002, preserve_topology=True)
        if shift != "wgs84":
            geom = coords.transform_geometry(geom, coords.WGS84, shift)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": node.code, "name": node.name},
                "geometry": mapping(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features}

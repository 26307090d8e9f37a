"""Writes to the grid: nodes, boundaries, teams, service points, departments."""

from __future__ import annotations

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from yemai.core.validators import normalize_mobile

from . import coords
from .choices import CHILD_LEVEL, DutyTag, Level, TeamKind
from .codes import code_errors
from .geo import area_m2, to_local_metres
from .models import Department, GridNode, ServicePoint, Team, TeamMember
from .validation import boundary_check


def _apply_boundary(node: GridNode, geom: BaseGeometry | None) -> None:
    if geom is None:
        node.boundary = None
        node.min_lon = node.min_lat = node.max_lon = node.max_lat = node.area_m2 = None
        return
    if geom.geom_type not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(
            {
                "boundary": _("A boundary must be a Polygon or MultiPolygon, not %(kind)s")
                % {"kind": geom.geom_type}
            }
        )
    node.boundary = shapely.to_wkb(geom)
    node.min_lon, node.min_lat, node.max_lon, node.max_lat = geom.bounds
    node.area_m2 = area_m2(geom)


def grid_node_check_placement(*, code: str, level: str, parent: GridNode | None) -> None:
    """Raise ValidationError unless ``code`` fits ``level`` under ``parent`` (admin forms too)."""
    if level not in Level.values:
        raise ValidationError(
            {"level": _("Unknown level %(level)s: use town, village or micro") % {"level": level}}
        )
    if level == Level.TOWN:
        if parent is not None:
            raise ValidationError({"parent": _("A town grid has no parent")})
    elif parent is None or CHILD_LEVEL.get(parent.level) != level:
        above = Level.TOWN if level == Level.VILLAGE else Level.VILLAGE
        raise ValidationError(
            {
                "parent": _("A %(level)s must sit directly under a %(parent)s")
                % {"level": Level(level).label, "parent": Level(above).label}
            }
        )
    errors = code_errors(code, level, parent.code if parent is not None else None)
    if errors:
        raise ValidationError({"code": errors})


def _checked(node: GridNode, boundary: BaseGeometry | None, check: bool) -> list[str]:
    """Raise on boundary errors; return the warnings (gaps) for the caller to show."""
    if not check or boundary is None:
        return []
    report = boundary_check(node=node, boundary=boundary)
    report.raise_for_errors()
    return [issue.message for issue in report.warnings]


@transaction.atomic
def grid_node_create(
    *,
    code: str,
    name: str,
    level: str,
    parent: GridNode | None = None,
    boundary: BaseGeometry | None = None,
    village_kind: str = "",
    check: bool = True,
) -> GridNode:
    """Create a node under ``parent``; a town has no parent, every other level has one.

    The code must follow the national pattern (see ``validation.code_errors``). With
    ``check`` the boundary must pass ``boundary_check`` against parent and siblings; the bulk
    importer passes ``check=False`` and checks the whole batch once.
    """
    code = (code or "").strip()
    grid_node_check_placement(code=code, level=level, parent=parent)
    node = GridNode(code=code, name=name, level=level, parent=parent, village_kind=village_kind)
    _apply_boundary(node, boundary)
    node.boundary_warnings = _checked(node, boundary, check)
    node.path = "/"  # provisional: the real path needs the primary key
    node.full_clean(exclude=["path"])
    node.save()
    node.path = f"{parent.path if parent else '/'}{node.pk}/"
    GridNode.objects.filter(pk=node.pk).update(path=node.path)
    _boundaries_changed()
    return node


@transaction.atomic
def grid_node_update(
    *, node: GridNode, name: str | None = None, village_kind: str | None = None
) -> GridNode:
    """Rename a node or change its kind; code, level and parent never change (paths hang on them)."""
    if name is not None:
        node.name = name
    if village_kind is not None:
        node.village_kind = village_kind
    node.full_clean(exclude=["path"])
    node.save(update_fields=["name", "village_kind", "updated_at"])
    _boundaries_changed()  # locate() answers with names too
    return node


@transaction.atomic
def grid_node_set_boundary(
    *, node: GridNode, boundary: BaseGeometry | None, check: bool = True
) -> GridNode:
    """Replace a node's boundary; with ``check`` an invalid boundary raises ValidationError.

    Warnings (gaps the new outline leaves between its children) come back on the node as
    ``boundary_warnings``.
    """
    _apply_boundary(node, boundary)
    node.boundary_warnings = _checked(node, boundary, check)
    node.save(
        update_fields=[
            "boundary",
            "min_lon",
            "min_lat",
            "max_lon",
            "max_lat",
            "area_m2",
            "updated_at",
        ]
    )
    _boundaries_changed()
    return node


def _boundaries_changed() -> None:
    """Tell locate() to rebuild its index once this transaction commits."""
    from . import locator

    transaction.on_commit(locator.invalidate)


# --- teams (三支团队) ---------------------------------------------------------------------


def _micro_grid(grid: GridNode, field: str = "grid") -> None:
    if grid.level != Level.MICRO:
        raise ValidationError(
            {field: _("Teams belong to micro-grids, not to %(grid)s") % {"grid": grid}}
        )


@transaction.atomic
def team_ensure_all(*, grid: GridNode) -> list[Team]:
    """The three teams of a micro-grid (management, work, volunteer), created if missing."""
    _micro_grid(grid)
    return [Team.objects.get_or_create(grid=grid, kind=kind)[0] for kind in TeamKind.values]


def _duty_tags(tags) -> list[str]:
    tags = list(dict.fromkeys(t.strip() for t in (tags or []) if t and t.strip()))
    unknown = [t for t in tags if t not in DutyTag.values]
    if unknown:
        raise ValidationError(
            {
                "duty_tags": _("Unknown duty tag %(tag)s: use %(known)s")
                % {"tag": unknown[0], "known": ", ".join(DutyTag.values)}
            }
        )
    return tags


def _area_inside(area: BaseGeometry | None, grid: GridNode, crs: str) -> bytes | None:
    """A responsibility area (分片包干) as WKB: a valid polygon inside the micro-grid."""
    if area is None:
        return None
    from django.conf import settings

    from .validation import geometry_errors

    area = coords.transform_geometry(area, crs)
    problems = geometry_errors(grid.code, area)
    if problems:
        raise ValidationError({"area": [p.message for p in problems]})
    outline = grid.geometry
    if outline is not None:
        centre = outline.centroid
        origin = (centre.x, centre.y)
        tol = settings.GRID_BOUNDARY_TOLERANCE_M
        outside = to_local_metres(area, origin).difference(
            to_local_metres(outline, origin).buffer(tol)
        )
        if outside.area > 1e-3:
            raise ValidationError(
                {
                    "area": _("The responsibility area reaches %(area).1f m² outside %(grid)s")
                    % {"area": outside.area, "grid": grid.name}
                }
            )
    return shapely.to_wkb(area)


@transaction.atomic
def team_member_add(
    *,
    team: Team,
    name: str,
    phone: str = "",
    is_leader: bool = False,
    duty: str = "",
    duty_tags: list[str] | None = None,
    area: BaseGeometry | None = None,
    area_crs: str = coords.WGS84,
    area_note: str = "",
    user=None,
) -> TeamMember:
    """Add a named member to one of a micro-grid's teams."""
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("A team member needs a name")]
    if phone:
        try:
            phone = normalize_mobile(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    try:
        tags = _duty_tags(duty_tags)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        tags = []
    try:
        wkb = _area_inside(area, team.grid, area_crs)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        wkb = None
    if errors:
        raise ValidationError(errors)
    member = TeamMember(
        team=team,
        user=user,
        name=(name or "").strip(),
        phone=phone,
        is_leader=is_leader,
        duty=duty,
        duty_tags=tags,
        area=wkb,
        area_note=area_note,
    )
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def team_member_update(*, member: TeamMember, **changes) -> TeamMember:
    """Change a member: any of name, phone, is_leader, duty, duty_tags, area, area_note, on_duty."""
    allowed = {"name", "phone", "is_leader", "duty", "duty_tags", "area", "area_note", "on_duty"}
    unknown = set(changes) - allowed - {"area_crs"}
    if unknown:
        raise TypeError(f"team_member_update() got unexpected fields {sorted(unknown)}")
    if changes.get("phone"):
        try:
            changes["phone"] = normalize_mobile(changes["phone"])
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from None
    if "duty_tags" in changes:
        changes["duty_tags"] = _duty_tags(changes["duty_tags"])
    if "area" in changes:
        changes["area"] = _area_inside(
            changes["area"], member.team.grid, changes.pop("area_crs", coords.WGS84)
        )
    changes.pop("area_crs", None)
    for key, value in changes.items():
        setattr(member, key, value)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def team_member_remove(*, member: TeamMember) -> None:
    member.delete()


# --- service points (党群服务点) and departments (条线部门) ---------------------------------


def _point_inside(grid: GridNode, lon: float, lat: float) -> None:
    from django.conf import settings

    from .geo import metres_to_degrees

    outline = grid.geometry
    if outline is None:
        return
    point = shapely.Point(lon, lat)
    reach = metres_to_degrees(settings.GRID_BOUNDARY_TOLERANCE_M, lat)
    if not outline.buffer(reach).covers(point):
        raise ValidationError(
            {
                "location": _("The location %(lon).6f %(lat).6f lies outside %(grid)s")
                % {"lon": lon, "lat": lat, "grid": grid.name}
            }
        )


def _served(grid: GridNode, micro_grids) -> list[GridNode]:
    micro_grids = list(micro_grids or [])
    for micro in micro_grids:
        if micro.level != Level.MICRO or not grid.is_ancestor_of(micro):
            raise ValidationError(
                {
                    "micro_grids": _("%(micro)s is not a micro-grid of %(grid)s")
                    % {"micro": micro, "grid": grid}
                }
            )
    return micro_grids


def service_point_check(*, grid: GridNode, lon: float, lat: float, micro_grids=()) -> None:
    """Raise ValidationError unless a point of ``grid`` may stand at (lon, lat) in WGS-84."""
    if grid.level != Level.VILLAGE:
        raise ValidationError({"grid": _("A service point belongs to a village or community")})
    _point_inside(grid, lon, lat)
    _served(grid, micro_grids)


@transaction.atomic
def service_point_create(
    *,
    grid: GridNode,
    name: str,
    lon: float,
    lat: float,
    crs: str = coords.WGS84,
    address: str = "",
    opening_hours: str = "",
    phone: str = "",
    micro_grids=(),
) -> ServicePoint:
    """A service point of a village or community; its location must lie inside the village."""
    lon, lat = coords.to_wgs84(lon, lat, crs)
    service_point_check(grid=grid, lon=lon, lat=lat, micro_grids=micro_grids)
    served = list(micro_grids or [])
    point = ServicePoint(
        grid=grid,
        name=name,
        lon=lon,
        lat=lat,
        address=address,
        opening_hours=opening_hours,
        phone=phone,
    )
    point.full_clean()
    point.save()
    point.micro_grids.set(served)
    return point


@transaction.atomic
def service_point_update(
    *, point: ServicePoint, crs: str = coords.WGS84, micro_grids=None, **changes
) -> ServicePoint:
    """Change a service point (name, address, opening_hours, phone, lon/lat, micro_grids)."""
    allowed = {"name", "address", "opening_hours", "phone", "lon", "lat"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"service_point_update() got unexpected fields {sorted(unknown)}")
    if "lon" in changes or "lat" in changes:
        lon, lat = coords.to_wgs84(
            changes.pop("lon", point.lon), changes.pop("lat", point.lat), crs
        )
        _point_inside(point.grid, lon, lat)
        point.lon, point.lat = lon, lat
    for key, value in changes.items():
        setattr(point, key, value)
    point.full_clean()
    point.save()
    if micro_grids is not None:
        point.micro_grids.set(_served(point.grid, micro_grids))
    return point


@transaction.atomic
def department_create(*, grid: GridNode, code: str, name: str, phone: str = "") -> Department:
    """A line department of a town (城管, 市场监管, 派出所 …)."""
    if grid.level != Level.TOWN:
        raise ValidationError({"grid": _("A department belongs to a town")})
    department = Department(grid=grid, code=code, name=name, phone=phone)
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def department_update(*, department: Department, **changes) -> Department:
    unknown = set(changes) - {"code", "name", "phone"}
    if unknown:
        raise TypeError(f"department_update() got unexpected fields {sorted(unknown)}")
    for key, value in changes.items():
        setattr(department, key, value)
    department.full_clean()
    department.save()
    return department

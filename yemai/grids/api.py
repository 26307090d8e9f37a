"""The grid API (/api/grids): thin handlers over selectors, services and io.

Everything answers within the caller's scope; a code or id outside it is a 404.
"""

from __future__ import annotations

import json

import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from shapely.geometry import mapping, shape

from yemai.core.audit import audit_record
from yemai.core.masking import mask_phone

from . import io, selectors, services
from .schemas import (
    Crs,
    DepartmentIn,
    DepartmentOut,
    GridDetailOut,
    GridImportOut,
    GridOut,
    GridTreeOut,
    LocatedOut,
    LocateOut,
    PointIn,
    ServicePointIn,
    ServicePointOut,
    TeamMemberIn,
    TeamMemberOut,
    TeamMemberPhoneOut,
    TeamOut,
)

router = Router(tags=["grids"])

MAX_BATCH_POINTS = 10_000
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def _require_manager(request) -> None:
    if not request.user.can_manage_grids:
        raise PermissionDenied(_("Only grid managers may change grids"))


def _grid_out(node) -> dict:
    return {
        "code": node.code,
        "name": node.name,
        "level": node.level,
        "parent": node.parent.code if node.parent_id else None,
        "village_kind": node.village_kind,
        "area_m2": node.area_m2,
    }


def _geojson(wkb) -> dict | None:
    return mapping(shapely.from_wkb(bytes(wkb))) if wkb else None


def _member_out(member) -> dict:
    return {
        "id": member.pk,
        "name": member.name,
        "phone": mask_phone(member.phone),  # whole only through the audited reveal
        "is_leader": member.is_leader,
        "duty": member.duty,
        "duty_tags": member.duty_tags,
        "area": _geojson(member.area),
        "area_note": member.area_note,
        "on_duty": member.on_duty,
    }


def _team_out(team) -> dict:
    return {
        "id": team.pk,
        "grid": team.grid.code,
        "grid_name": team.grid.name,
        "kind": team.kind,
        "kind_label": str(team.get_kind_display()),
        "members": [_member_out(m) for m in team.members.all()],
    }


def _point_out(point) -> dict:
    return {
        "id": point.pk,
        "grid": point.grid.code,
        "grid_name": point.grid.name,
        "name": point.name,
        "address": point.address,
        "lon": point.lon,
        "lat": point.lat,
        "opening_hours": point.opening_hours,
        "phone": point.phone,
        "micro_grids": [{"code": g.code, "name": g.name} for g in point.micro_grids.all()],
    }


def _department_out(department) -> dict:
    return {
        "id": department.pk,
        "grid": department.grid.code,
        "code": department.code,
        "name": department.name,
        "phone": department.phone,
    }


def _located(hit) -> dict | None:
    if hit is None:
        return None
    return {"code": hit.code, "name": hit.name, "distance_m": round(hit.distance_m, 2)}


# --- the grid ------------------------------------------------------------------------------


@router.get("/", response=list[GridOut], summary="List grids")
def grid_list(request, level: str | None = None, parent: str | None = None):
    parent_node = selectors.grid_node_get(user=request.user, code=parent) if parent else None
    nodes = selectors.grid_node_list(user=request.user, level=level, parent=parent_node)
    return [_grid_out(n) for n in nodes]


@router.get("/tree", response=list[GridTreeOut], summary="The grid tree of your scope")
def grid_tree(request):
    return selectors.grid_tree(user=request.user)


@router.get("/nodes/{code}", response=GridDetailOut, summary="One grid with its boundary")
def grid_detail(request, code: str):
    node = selectors.grid_node_get(user=request.user, code=code)
    children = selectors.grid_node_list(user=request.user, parent=node)
    bbox = [node.min_lon, node.min_lat, node.max_lon, node.max_lat] if node.boundary else None
    return {
        **_grid_out(node),
        "boundary": _geojson(node.boundary),
        "bbox": bbox,
        "children": [_grid_out(c) for c in children],
    }


@router.get("/export.geojson", summary="Boundaries of a subtree as GeoJSON")
def grid_export_geojson(request, root: str | None = None, crs: Crs = "wgs84"):
    node = selectors.grid_export_root(user=request.user, code=root)
    scoped = selectors.grid_node_list(user=request.user)
    doc = io.grid_boundaries_geojson(root=node, crs=crs, queryset=scoped)
    response = HttpResponse(
        json.dumps(doc, ensure_ascii=False), content_type="application/geo+json; charset=utf-8"
    )
    name = f"grids_{node.code}.geojson" if node else "grids.geojson"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/export.zip", summary="Boundaries of a subtree as a zipped Shapefile (WGS-84)")
def grid_export_shapefile(request, root: str | None = None):
    node = selectors.grid_export_root(user=request.user, code=root)
    scoped = selectors.grid_node_list(user=request.user)
    data = io.grid_boundaries_shapefile(root=node, queryset=scoped)
    response = HttpResponse(data, content_type="application/zip")
    name = f"grids_{node.code}.zip" if node else "grids.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post(
    "/import", response=GridImportOut, summary="Import boundaries (GeoJSON or zipped Shapefile)"
)
def grid_import(
    request,
    file: File[UploadedFile],
    crs: Form[Crs] = "wgs84",
    encoding: Form[str] = "",
    dry_run: Form[bool] = False,
):
    """All or nothing: a 400 lists every bad feature with its number and code."""
    _require_manager(request)
    if file.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("The file is larger than 64 MB")})
    report = io.grid_boundaries_import(
        data=file.read(),
        filename=file.name or "",
        crs=crs,
        encoding=encoding or None,
        user=request.user,
        dry_run=dry_run,
    )
    return report.as_dict()


# --- locate --------------------------------------------------------------------------------


@router.get("/locate", response=LocateOut, summary="The micro-grid of a point")
def grid_locate(request, point: Query[PointIn], crs: Crs = "wgs84"):
    hit = selectors.grid_locate(user=request.user, lon=point.lon, lat=point.lat, crs=crs)
    return {"lon": point.lon, "lat": point.lat, "crs": crs, "grid": _located(hit)}


@router.post("/locate", response=list[LocatedOut | None], summary="The micro-grids of many points")
def grid_locate_batch(request, points: list[PointIn], crs: Crs = "wgs84"):
    """Up to 10,000 points; one result (or null) per point, in order."""
    if len(points) > MAX_BATCH_POINTS:
        raise ValidationError(
            {"points": _("At most %(n)s points in one request") % {"n": MAX_BATCH_POINTS}}
        )
    hits = selectors.grid_locate_many(
        user=request.user, lons=[p.lon for p in points], lats=[p.lat for p in points], crs=crs
    )
    return [_located(h) for h in hits]


# --- teams ---------------------------------------------------------------------------------


@router.get("/teams", response=list[TeamOut], summary="Teams and their members")
def team_list(request, grid: str | None = None):
    node = selectors.grid_node_get(user=request.user, code=grid) if grid else None
    return [_team_out(t) for t in selectors.team_list(user=request.user, grid=node)]


@router.get("/teams/{team_id}", response=TeamOut, summary="One team")
def team_detail(request, team_id: int):
    return _team_out(selectors.team_get(user=request.user, pk=team_id))


@router.post("/teams/{team_id}/members", response={201: TeamMemberOut}, summary="Add a member")
def team_member_add(request, team_id: int, payload: TeamMemberIn):
    team = selectors.team_get(user=request.user, pk=team_id)
    _require_manager(request)
    try:
        area = shape(payload.area) if payload.area else None
    except Exception:  # any malformed GeoJSON is the client's mistake
        raise ValidationError({"area": _("The area is not a GeoJSON geometry")}) from None
    member = services.team_member_add(
        team=team,
        name=payload.name,
        phone=payload.phone,
        is_leader=payload.is_leader,
        duty=payload.duty,
        duty_tags=payload.duty_tags,
        area=area,
        area_crs=payload.area_crs,
        area_note=payload.area_note,
    )
    return Status(201, _member_out(member))


@router.post(
    "/team-members/{member_id}/reveal",
    response=TeamMemberPhoneOut,
    summary="A member's whole phone",
)
def team_member_reveal(request, member_id: int):
    """Audited (view_pii); only for roles that may see whole personal data."""
    member = selectors.team_member_get(user=request.user, pk=member_id)
    if not request.user.can_reveal_pii:
        raise PermissionDenied(_("Your role may not see whole phone numbers"))
    audit_record(user=request.user, kind="view_pii", obj=member, detail={"field": "phone"})
    return {"id": member.pk, "name": member.name, "phone": member.phone}


# --- service points and departments --------------------------------------------------------


@router.get("/service-points", response=list[ServicePointOut], summary="Service points")
def service_point_list(request, grid: str | None = None):
    node = selectors.grid_node_get(user=request.user, code=grid) if grid else None
    return [_point_out(p) for p in selectors.service_point_list(user=request.user, grid=node)]


@router.get("/service-points/{point_id}", response=ServicePointOut, summary="One service point")
def service_point_detail(request, point_id: int):
    return _point_out(selectors.service_point_get(user=request.user, pk=point_id))


@router.post("/service-points", response={201: ServicePointOut}, summary="Add a service point")
def service_point_create(request, payload: ServicePointIn):
    grid = selectors.grid_node_get(user=request.user, code=payload.grid)
    _require_manager(request)
    served = [selectors.grid_node_get(user=request.user, code=c) for c in payload.micro_grids]
    point = services.service_point_create(
        grid=grid,
        name=payload.name,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        address=payload.address,
        opening_hours=payload.opening_hours,
        phone=payload.phone,
        micro_grids=served,
    )
    return Status(201, _point_out(point))


@router.get("/departments", response=list[DepartmentOut], summary="Line departments")
def department_list(request):
    return [_department_out(d) for d in selectors.department_list(user=request.user)]


@router.get("/departments/{department_id}", response=DepartmentOut, summary="One department")
def department_detail(request, department_id: int):
    return _department_out(selectors.department_get(user=request.user, pk=department_id))


@router.post("/departments", response={201: DepartmentOut}, summary="Add a department")
def department_create(request, payload: DepartmentIn):
    grid = selectors.grid_node_get(user=request.user, code=payload.grid)
    _require_manager(request)
    department = services.department_create(
        grid=grid, code=payload.code, name=payload.name, phone=payload.phone
    )
    return Status(201, _department_out(department))

"""Shapes of the grid API: what goes in and what comes out."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

Crs = Literal["wgs84", "gcj02", "bd09"]


class GridOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None = None
    village_kind: str = ""
    area_m2: float | None = None


class GridDetailOut(GridOut):
    boundary: dict | None = Field(None, description="GeoJSON geometry in WGS-84")
    bbox: list[float] | None = Field(None, description="min lon, min lat, max lon, max lat")
    children: list[GridOut] = []


class GridTreeOut(Schema):
    code: str
    name: str
    level: str
    children: list[GridTreeOut] = []


GridTreeOut.model_rebuild()


class PointIn(Schema):
    model_config = ConfigDict(allow_inf_nan=False)

    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)


class LocatedOut(Schema):
    code: str
    name: str
    distance_m: float = Field(
        0.0, description="0 inside the grid; else the nearest grid's distance"
    )


class LocateOut(Schema):
    lon: float
    lat: float
    crs: Crs
    grid: LocatedOut | None


class TeamMemberOut(Schema):
    id: int
    name: str
    phone: str = Field("", description="masked: 138****5678")
    is_leader: bool
    duty: str
    duty_tags: list[str]
    area: dict | None = Field(None, description="responsibility area, GeoJSON (WGS-84)")
    area_note: str
    on_duty: bool


class TeamMemberIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    phone: str = ""
    is_leader: bool = False
    duty: str = ""
    duty_tags: list[str] = []
    area: dict | None = Field(None, description="GeoJSON Polygon inside the micro-grid")
    area_crs: Crs = "wgs84"
    area_note: str = ""


class TeamOut(Schema):
    id: int
    grid: str
    grid_name: str
    kind: str
    kind_label: str
    members: list[TeamMemberOut]


class TeamMemberPhoneOut(Schema):
    id: int
    name: str
    phone: str


class GridRefOut(Schema):
    code: str
    name: str


class ServicePointOut(Schema):
    id: int
    grid: str
    grid_name: str
    name: str
    address: str
    lon: float
    lat: float
    opening_hours: str
    phone: str
    micro_grids: list[GridRefOut]


class ServicePointIn(Schema):
    model_config = ConfigDict(allow_inf_nan=False)

    grid: str = Field(..., description="code of the village or community")
    name: str = Field(..., min_length=1, max_length=100)
    lon: float
    lat: float
    crs: Crs = "wgs84"
    address: str = ""
    opening_hours: str = ""
    phone: str = ""
    micro_grids: list[str] = Field([], description="codes of the micro-grids it serves")


class DepartmentOut(Schema):
    id: int
    grid: str
    code: str
    name: str
    phone: str


class DepartmentIn(Schema):
    grid: str = Field(..., description="code of the town")
    code: str = Field(..., min_length=1, max_length=30)
    name: str = Field(..., min_length=1, max_length=100)
    phone: str = ""


class GridImportOut(Schema):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    warnings: list[str]
    format: str
    encoding: str
    dry_run: bool

"""API schemas of the vision domain."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class CameraIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=100)
    lon: float
    lat: float
    grid: str = Field("", max_length=20, description="micro-grid code; located when empty")
    location: str = Field("", max_length=200)
    stream_url: str = Field("", max_length=500, description="rtsp://, http(s)://, file path")
    sample_fps: float = Field(1.0, description="samples per second: 0.2 = one every 5 s")
    enabled: bool = True


class CameraPatch(Schema):
    name: str | None = Field(None, max_length=100)
    location: str | None = Field(None, max_length=200)
    stream_url: str | None = Field(None, max_length=500)
    sample_fps: float | None = None
    enabled: bool | None = None


class CameraOut(Schema):
    id: int
    code: str
    name: str
    location: str
    lon: float
    lat: float
    grid_code: str
    stream_url: str
    sample_fps: float
    enabled: bool
    status: str
    status_detail: str
    fps: float
    worker: str
    last_frame_at: dt.datetime | None
    last_alarm_at: dt.datetime | None
    snapshot_at: dt.datetime | None


class ZoneIn(Schema):
    name: str = Field(..., max_length=100)
    kind: str = Field(..., description="no_parking, shop_frontage or custom")
    polygon: list[list[float]] = Field(..., description="[[x, y], …] in picture pixels")
    image_width: int
    image_height: int
    labels: list[str] = Field(default_factory=list, description="object classes; empty: any")
    dwell_s: int = 300
    cooldown_s: int = 3600
    min_size: int = 0
    active_from: dt.time | None = None
    active_to: dt.time | None = None
    category: str = Field("", max_length=20, description="case subcategory (custom zones)")
    organisation: int | None = Field(None, description="shop-frontage: the shop's id")
    review_required: bool = False
    enabled: bool = True


class ZoneOut(Schema):
    id: int
    camera: int
    name: str
    kind: str
    polygon: list[list[float]]
    image_width: int
    image_height: int
    labels: list[str]
    dwell_s: int
    cooldown_s: int
    min_size: int
    active_from: dt.time | None
    active_to: dt.time | None
    category: str
    organisation: int | None
    organisation_name: str
    review_required: bool
    enabled: bool


class AlarmOut(Schema):
    id: int
    camera: str
    camera_name: str
    zone: int
    zone_name: str
    label: str
    score: float
    box: list[float]
    dwell_s: float
    state: str
    repeats: int
    first_at: dt.datetime
    last_at: dt.datetime
    case_id: int | None
    case_number: str
    snapshot_url: str
    first_url: str
    last_url: str


class CameraImportOut(Schema):
    created: int
    updated: int
    errors: list[str]


class WorkerOut(Schema):
    name: str
    host: str
    pid: int
    detector: str
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    cameras: int
    fps: float
    state: str


class CameraMapOut(Schema):
    id: int
    code: str
    name: str
    lon: float
    lat: float
    grid_code: str
    enabled: bool
    status: str
    fps: float
    last_frame_at: str | None
    last_alarm_at: str | None

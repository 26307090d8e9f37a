"""API schemas of field duty. Coordinates are WGS-84 (what a phone's geolocation gives)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class PatrolStartIn(Schema):
    client_key: str = Field("", max_length=64, description="the phone's id for this start")
    started_at: dt.datetime | None = Field(None, description="when, if sent later (offline)")


class TrackPointIn(Schema):
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    accuracy: float | None = Field(None, ge=0, le=100_000, description="metres")
    recorded_at: dt.datetime


class PointsIn(Schema):
    points: list[TrackPointIn] = Field(..., min_length=1, max_length=1000)


class PatrolOut(Schema):
    id: int
    member_id: int
    member: str
    grid: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    length_m: float
    point_count: int
    is_open: bool


class TrackPointOut(Schema):
    lon: float
    lat: float
    accuracy: float | None
    recorded_at: dt.datetime


class PatrolDetailOut(PatrolOut):
    points: list[TrackPointOut]


class PointsAddedOut(Schema):
    added: int
    duplicates: int
    patrol: PatrolOut


class CheckInOut(Schema):
    id: int
    member_id: int
    member: str
    grid: str
    at: dt.datetime
    lon: float
    lat: float
    accuracy: float | None
    has_photo: bool
    photo_url: str | None
    review: str
    reviewed_at: dt.datetime | None
    review_note: str


class ReviewIn(Schema):
    outcome: str = Field(..., description="accepted or rejected")
    note: str = Field("", max_length=200)


class GrantIn(Schema):
    user_id: int
    reason: str = Field(..., max_length=200)


class GrantOut(Schema):
    user_id: int
    username: str
    granted_by: str
    granted_at: dt.datetime
    reason: str


class EraseIn(Schema):
    username: str = Field(..., max_length=150)


class ErasedOut(Schema):
    patrols: int
    points: int
    checkins: int
    photos: int

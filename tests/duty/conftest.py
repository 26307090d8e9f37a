"""The shared town plus a security administrator, and helpers for the duty API tests."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from PIL import Image

from tests.browser.conftest import pages  # noqa: F401 - the browser fixture, for test_phone
from tests.factories import make_user
from yemai.accounts.roles import Role

# Along a street in 东门1 (lon 121.20–121.22, lat 30.20–30.22): 0.001° of latitude is 111 m.
START = (121.2100, 30.2100)
CAMERA_MARK = b"YemaiCam-serial-0042"


@pytest.fixture
def duty_town(town):
    town.security = make_user("security", Role.SECURITY_ADMIN, town.town)
    return town


def post_json(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def walk(n: int, *, start: dt.datetime | None = None, step_s: int = 10, north_m: float = 111.19):
    """``n`` fixes walking north from START, ``north_m`` metres apart, ``step_s`` apart."""
    start = start or timezone.now() - dt.timedelta(minutes=2)
    lon, lat = START
    return [
        {
            "lon": lon,
            "lat": lat + i * north_m / 111_195,
            "accuracy": 8.0,
            "recorded_at": (start + dt.timedelta(seconds=i * step_s)).isoformat(),
        }
        for i in range(n)
    ]


def selfie(size=(640, 480), colour=(200, 160, 140)) -> bytes:
    """A JPEG as a phone writes it: with EXIF naming the camera."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = CAMERA_MARK.decode()  # Make
    exif[0x0131] = CAMERA_MARK.decode()  # Software
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    data = out.getvalue()
    assert CAMERA_MARK in data
    return data


def fixes(n: int, **kwargs):
    """The same walk as service input (for setting up data without the API)."""
    from django.utils.dateparse import parse_datetime

    from yemai.duty.services import PointIn

    return [
        PointIn(
            lon=p["lon"],
            lat=p["lat"],
            accuracy=p["accuracy"],
            recorded_at=parse_datetime(p["recorded_at"]),
        )
        for p in walk(n, **kwargs)
    ]

"""Chinese map coordinate systems: WGS-84 ↔ GCJ-02 (火星坐标, Amap/Tencent) ↔ BD-09 (Baidu).

Yemai stores WGS-84 (CGCS2000 agrees to well under a metre at town scale). GCJ-02 is WGS-84
shifted by the published Krasovsky-ellipsoid formulas; BD-09 is GCJ-02 turned and shifted
again (the ``x_pi`` transform). Outside China (a rough bounding box, as every implementation
of the formulas uses) GCJ-02 equals WGS-84.

The forward shifts are closed formulas. Their inverses are not: GCJ-02 → WGS-84 and
BD-09 → GCJ-02 are solved here by fixed-point iteration until the step is below 1e-9°
(about 0.1 mm), not by the usual one-step approximation, which is off by 0.7 m typically
and up to 5 m.

Every function takes floats or numpy arrays and returns the same kind.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
CRS_CHOICES = (WGS84, GCJ02, BD09)
CRS_ALIASES = {
    "wgs84": WGS84,
    "wgs-84": WGS84,
    "epsg:4326": WGS84,
    "cgcs2000": WGS84,
    "epsg:4490": WGS84,
    "gcj02": GCJ02,
    "gcj-02": GCJ02,
    "amap": GCJ02,
    "tencent": GCJ02,
    "bd09": BD09,
    "bd-09": BD09,
    "baidu": BD09,
}

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formulas use
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30


def normalize_crs(value: str | None) -> str:
    """``"GCJ-02"``, ``"amap"`` … → ``"gcj02"``; empty means WGS-84; anything else is an error."""
    if not value:
        return WGS84
    crs = CRS_ALIASES.get(value.strip().lower())
    if crs is None:
        raise ValueError(f"unknown coordinate system {value!r}: use wgs84, gcj02 or bd09")
    return crs


def _out(lon, lat) -> bool:
    """Whether the caller passed plain numbers (and so gets plain floats back)."""
    return np.ndim(lon) == 0 and np.ndim(lat) == 0


def _result(scalar: bool, lon, lat):
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def out_of_china(lon, lat):
    """True where the GCJ-02 shift does not apply (outside China's rough bounding box)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _shift_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (dlon, dlat) GCJ-02 adds to a WGS-84 point; zero outside China."""
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat):
    scalar = _out(lon, lat)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_offset(lon, lat)
    return _result(scalar, lon + dlon, lat + dlat)


def _invert(forward, lon, lat, start=None):
    """Solve forward(x) = (lon, lat) by fixed-point iteration: x ← x − (forward(x) − target).

    The shifts change by a few millionths per degree, so each step gains about five digits;
    two or three steps reach the tolerance.
    """
    x, y = (lon.copy(), lat.copy()) if start is None else start
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if np.all(np.abs(ex) < _TOLERANCE_DEG) and np.all(np.abs(ey) < _TOLERANCE_DEG):
            break
    return x, y


def gcj02_to_wgs84(lon, lat):
    scalar = _out(lon, lat)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)

    def forward(x, y):
        dx, dy = _gcj_offset(x, y)
        return x + dx, y + dy

    x, y = _invert(forward, lon, lat)
    # Keep a point the formulas would not have shifted exactly as given.
    outside = out_of_china(lon, lat)
    return _result(scalar, np.where(outside, lon, x), np.where(outside, lat, y))


def _gcj_to_bd(x, y):
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def gcj02_to_bd09(lon, lat):
    scalar = _out(lon, lat)
    bx, by = _gcj_to_bd(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return _result(scalar, bx, by)


def bd09_to_gcj02(lon, lat):
    scalar = _out(lon, lat)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    # The usual closed-form inverse is the starting point; iteration removes its residue.
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    start = (z * np.cos(theta), z * np.sin(theta))
    gx, gy = _invert(_gcj_to_bd, lon, lat, start)
    return _result(scalar, gx, gy)


def wgs84_to_bd09(lon, lat):
    scalar = _out(lon, lat)
    gx, gy = wgs84_to_gcj02(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    bx, by = _gcj_to_bd(gx, gy)
    return _result(scalar, bx, by)


def bd09_to_wgs84(lon, lat):
    scalar = _out(lon, lat)
    gx, gy = bd09_to_gcj02(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    wx, wy = gcj02_to_wgs84(gx, gy)
    return _result(scalar, wx, wy)


_TO_WGS84 = {WGS84: None, GCJ02: gcj02_to_wgs84, BD09: bd09_to_wgs84}
_FROM_WGS84 = {WGS84: None, GCJ02: wgs84_to_gcj02, BD09: wgs84_to_bd09}


def to_wgs84(lon, lat, crs: str):
    """Convert from ``crs`` (wgs84, gcj02, bd09) to WGS-84."""
    func = _TO_WGS84[normalize_crs(crs)]
    if func is None:
        return _result(_out(lon, lat), np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return func(lon, lat)


def from_wgs84(lon, lat, crs: str):
    """Convert from WGS-84 to ``crs``."""
    func = _FROM_WGS84[normalize_crs(crs)]
    if func is None:
        return _result(_out(lon, lat), np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return func(lon, lat)


def transform_geometry(geom: BaseGeometry, from_crs: str, to_crs: str = WGS84) -> BaseGeometry:
    """Every vertex of ``geom`` converted from ``from_crs`` to ``to_crs`` (shapely.transform)."""
    source, target = normalize_crs(from_crs), normalize_crs(to_crs)
    if source == target or geom is None:
        return geom

    def convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = coords[:, 0], coords[:, 1]
        if source != WGS84:
            lon, lat = to_wgs84(lon, lat, source)
        if target != WGS84:
            lon, lat = from_wgs84(lon, lat, target)
        return np.column_stack([lon, lat])

    return shapely.transform(geom, convert)

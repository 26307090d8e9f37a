"""Locating a CSV of points (``yemai locate --csv``): each row gets its micro-grid."""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from tqdm import tqdm

from . import coords

LON_COLUMNS = ("lon", "lng", "longitude", "x", "经度")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度")


@dataclass
class LocateCsvReport:
    rows: int = 0
    located: int = 0
    bad_rows: list[int] = field(default_factory=list)


def locate_csv(
    source, target, *, crs: str = coords.WGS84, progress: bool = False
) -> LocateCsvReport:
    """Copy a CSV with lon/lat columns to ``target``, adding grid_code, grid_name, distance_m."""
    from .locator import locate_many

    reader = csv.reader(source)
    header = next(reader, None)
    if not header:
        raise ValidationError({"file": _("The CSV file is empty")})
    lowered = [h.strip().lower() for h in header]
    try:
        lon_col = next(lowered.index(c) for c in LON_COLUMNS if c in lowered)
        lat_col = next(lowered.index(c) for c in LAT_COLUMNS if c in lowered)
    except StopIteration:
        raise ValidationError(
            {"file": _("The CSV needs a lon (or 经度) and a lat (or 纬度) column")}
        ) from None
    rows = list(reader)
    report = LocateCsvReport(rows=len(rows))
    lons, lats = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    for i, row in enumerate(rows):
        try:
            lons[i], lats[i] = float(row[lon_col]), float(row[lat_col])
        except (ValueError, IndexError):
            report.bad_rows.append(i + 2)  # the line number a spreadsheet shows
    ok = np.isfinite(lons) & np.isfinite(lats)
    wlon, wlat = coords.to_wgs84(lons[ok], lats[ok], crs)
    hits = [None] * len(rows)
    positions = np.flatnonzero(ok)
    chunk = 10_000
    for start in tqdm(
        range(0, len(positions), chunk),
        desc=_("Locating"),
        unit="chunk",
        disable=not progress,
        file=sys.stderr,
    ):
        part = slice(start, start + chunk)
        for pos, hit in zip(positions[part], locate_many(wlon[part], wlat[part]), strict=True):
            hits[pos] = hit
    writer = csv.writer(target)
    writer.writerow([*header, "grid_code", "grid_name", "distance_m"])
    for row, hit in zip(rows, hits, strict=True):
        if hit is None:
            writer.writerow([*row, "", "", ""])
        else:
            report.located += 1
            writer.writerow([*row, hit.code, hit.name, round(hit.distance_m, 1)])
    return report

"""File builders for the grid tests: real GeoJSON documents and zipped Shapefiles."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import shapefile
import shapely
from shapely.geometry import box, mapping
from shapely.geometry.polygon import orient

from yemai.grids.formats import WGS84_PRJ

# A second town east of the shared one (宗汉街道 ends at 121.24): 新城镇 330282002, lon
# 121.30–121.34, lat 30.20–30.24, two villages side by side, two micro-grids in each.
NEW_TOWN = [
    ("330282002", "新城镇", box(121.30, 30.20, 121.34, 30.24)),
    ("330282002001", "新城社区", box(121.30, 30.20, 121.32, 30.24)),
    ("330282002002", "新河村", box(121.32, 30.20, 121.34, 30.24)),
    ("330282002001001", "新城社区第1微网格", box(121.30, 30.20, 121.32, 30.22)),
    ("330282002001002", "新城社区第2微网格", box(121.30, 30.22, 121.32, 30.24)),
    ("330282002002001", "新河村第1微网格", box(121.32, 30.20, 121.34, 30.22)),
    ("330282002002002", "新河村第2微网格", box(121.32, 30.22, 121.34, 30.24)),
]


def features(rows, **extra_props) -> list[dict]:
    """(code, name, geometry[, props]) rows to GeoJSON features."""
    out = []
    for row in rows:
        code, name, geom = row[:3]
        props = {"code": code, "name": name, **extra_props, **(row[3] if len(row) > 3 else {})}
        out.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": mapping(geom) if geom is not None else None,
            }
        )
    return out


def geojson_bytes(rows, **extra) -> bytes:
    doc = {"type": "FeatureCollection", "features": features(rows), **extra}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def shapefile_zip(
    rows,
    *,
    encoding: str = "utf-8",
    cpg: str | None = None,
    prj: str | None = WGS84_PRJ,
    field_names=("CODE", "NAME"),
) -> bytes:
    """A zipped Shapefile as a Chinese GIS tool writes it; ``cpg=None`` leaves the .cpg out."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding=encoding
    )
    writer.field(field_names[0], "C", size=20)
    writer.field(field_names[1], "C", size=100)
    for code, name, geom in rows:
        rings = []
        for poly in shapely.get_parts(geom):
            poly = orient(poly, sign=-1.0)
            rings.append(list(poly.exterior.coords))
            rings += [list(r.coords) for r in poly.interiors]
        writer.poly(rings)
        writer.record(code, name)
    writer.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("网格.shp", shp.getvalue())
        archive.writestr("网格.shx", shx.getvalue())
        archive.writestr("网格.dbf", dbf.getvalue())
        if prj is not None:
            archive.writestr("网格.prj", prj)
        if cpg is not None:
            archive.writestr("网格.cpg", cpg)
    return out.getvalue()


@pytest.fixture
def new_town_geojson() -> bytes:
    return geojson_bytes(NEW_TOWN)

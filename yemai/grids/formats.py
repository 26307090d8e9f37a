"""Boundary files: GeoJSON and zipped Shapefile, read into plain features and written back.

Only the file formats live here (encodings, ``.prj``, ``.cpg``, ring orientation); what the
features mean for the grid is ``io.py``'s business.

Chinese surveying and GIS tools often write Shapefile attributes in GBK with no ``.cpg``:
the encoding is taken from the ``.cpg`` when there is one, else the declared one, else
UTF-8 is tried and then GBK (read as GB 18030, its superset).
"""

from __future__ import annotations

import codecs
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import shapefile
import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

MAX_UNZIPPED_BYTES = 512 * 1024 * 1024  # a zip bomb stops here, a real city's grids do not
WGS84_PRJ = (
    'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)
# Geographic systems that agree with WGS-84 to well under a metre (CGCS2000 is China's).
_GEOGRAPHIC_OK = re.compile(
    r"WGS[ _]?(19)?84|CGCS[ _]?2000|China[ _]?(Geodetic[ _]Coordinate[ _]System[ _])?2000", re.I
)
_GEOJSON_CRS_OK = {"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:epsg::4326", "epsg:4326",
                   "urn:ogc:def:crs:epsg::4490", "epsg:4490"}  # fmt: skip
_CODE_PAGES = {"936": "gb18030", "ansi 936": "gb18030", "65001": "utf-8", "utf8": "utf-8",
               "gbk": "gb18030", "gb2312": "gb18030", "ansi 1252": "cp1252", "1252": "cp1252"}  # fmt: skip


@dataclass
class RawFeature:
    """One feature as read: 1-based position in the file, attributes, geometry or why not."""

    index: int
    properties: dict
    geom: BaseGeometry | None
    error: str = ""


@dataclass
class RawLayer:
    features: list[RawFeature]
    format: str  # "geojson" or "shapefile"
    encoding: str = "utf-8"
    notes: list[str] | None = None


def _fail(message: str):
    raise ValidationError({"file": [message]})


def encoding_name(value: str) -> str:
    """A ``.cpg`` or user-declared encoding to a Python codec; GBK reads as GB 18030."""
    name = (value or "").strip().lower()
    name = _CODE_PAGES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        _fail(_("Unknown text encoding %(encoding)s") % {"encoding": value})
    return "gb18030" if codec in {"gbk", "gb2312"} else codec


def read_layer(data: bytes, *, filename: str = "", encoding: str | None = None) -> RawLayer:
    """Read a GeoJSON document or a zipped Shapefile (told apart by content)."""
    if data[:2] == b"PK":
        return read_shapefile_zip(data, encoding=encoding)
    if filename.lower().endswith((".shp", ".dbf", ".shx")):
        _fail(_("Upload a Shapefile as one .zip holding its .shp, .shx, .dbf (and .prj, .cpg)"))
    return read_geojson(data, encoding=encoding)


# --- GeoJSON -------------------------------------------------------------------------------


def read_geojson(data: bytes, *, encoding: str | None = None) -> RawLayer:
    codec = encoding_name(encoding) if encoding else "utf-8-sig"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        try:
            text, codec = data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            _fail(_("The file is neither UTF-8 nor GBK text"))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(
            _("The file is not GeoJSON: %(error)s at line %(line)s")
            % {"error": exc.msg, "line": exc.lineno}
        )
    if not isinstance(doc, dict) or doc.get("type") not in {"FeatureCollection", "Feature"}:
        _fail(_("The file is not a GeoJSON FeatureCollection"))
    crs_name = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    if crs_name and crs_name.strip().lower() not in _GEOJSON_CRS_OK:
        _fail(
            _(
                "The GeoJSON declares the coordinate system %(crs)s; export it in WGS-84 or CGCS2000 degrees"
            )
            % {"crs": crs_name}
        )
    items = doc.get("features") if doc["type"] == "FeatureCollection" else [doc]
    if not isinstance(items, list):
        _fail(_("The FeatureCollection has no list of features"))
    features = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            features.append(RawFeature(i, {}, None, _("not a GeoJSON feature")))
            continue
        props = item.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        geom, error = None, ""
        if item.get("geometry"):
            try:
                geom = shape(item["geometry"])
            except Exception as exc:  # shapely raises several kinds for malformed input
                error = _("its geometry cannot be read: %(error)s") % {"error": exc}
        features.append(RawFeature(i, props, geom, error))
    return RawLayer(features=features, format="geojson", encoding=codec)


def write_geojson(rows: list[tuple[dict, BaseGeometry | None]]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": mapping(geom) if geom is not None else None,
            }
            for props, geom in rows
        ],
    }


# --- Shapefile -----------------------------------------------------------------------------


def check_prj(text: str) -> None:
    """Accept geographic WGS-84 or CGCS2000; refuse a projected or other datum, naming it."""
    wkt = text.strip()
    head = wkt.split("[", 1)[0].strip().upper()
    name_match = re.search(r'\[\s*"([^"]*)"', wkt)
    name = name_match.group(1) if name_match else wkt[:60]
    if head in {"PROJCS", "PROJCRS", "PROJECTEDCRS"}:
        _fail(
            _(
                "The .prj declares the projected coordinate system %(name)s; export the "
                "boundaries in geographic WGS-84 or CGCS2000 (degrees)"
            )
            % {"name": name}
        )
    if head not in {"GEOGCS", "GEOGCRS", "GEODCRS"} or not _GEOGRAPHIC_OK.search(wkt):
        _fail(
            _(
                "The .prj declares the coordinate system %(name)s; only geographic WGS-84 or "
                "CGCS2000 can be imported"
            )
            % {"name": name}
        )


def _zip_members(data: bytes) -> tuple[zipfile.ZipFile, dict[str, str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        _fail(_("The file is not a valid zip archive"))
    infos = [
        i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX")
    ]
    if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        _fail(_("The zip unpacks to more than 512 MB"))
    return archive, {i.filename: i.filename for i in infos}


def read_shapefile_zip(data: bytes, *, encoding: str | None = None) -> RawLayer:
    archive, names = _zip_members(data)
    layers = sorted(n for n in names if n.lower().endswith(".shp"))
    if not layers:
        _fail(_("The zip holds no .shp file"))
    if len(layers) > 1:
        _fail(
            _("The zip holds several layers (%(names)s): put one layer in each file")
            % {"names": ", ".join(PurePosixPath(n).name for n in layers)}
        )
    stem = layers[0][:-4]
    by_ext = {n[len(stem) :].lower(): n for n in names if n[: len(stem)] == stem}
    for ext in (".dbf", ".shx"):
        if ext not in by_ext:
            _fail(_("The zip has no %(ext)s beside the .shp") % {"ext": ext})
    notes = []
    if ".prj" in by_ext:
        check_prj(archive.read(by_ext[".prj"]).decode("latin-1"))
    else:
        notes.append(_("The zip has no .prj: coordinates are taken as WGS-84 degrees"))
    if ".cpg" in by_ext:
        candidates = [encoding_name(archive.read(by_ext[".cpg"]).decode("ascii", "replace"))]
    elif encoding:
        candidates = [encoding_name(encoding)]
    else:
        candidates = ["utf-8", "gb18030"]
    blobs = {ext: archive.read(by_ext[ext]) for ext in (".shp", ".shx", ".dbf")}
    last_error = None
    for codec in candidates:
        try:
            features = _read_shapes(blobs, codec)
        except shapefile.ShapefileException as exc:
            last_error = exc
            continue
        return RawLayer(features=features, format="shapefile", encoding=codec, notes=notes)
    _fail(
        _("The attributes cannot be read as %(encodings)s: declare the encoding (%(error)s)")
        % {"encodings": " or ".join(c.upper() for c in candidates), "error": last_error}
    )


def _read_shapes(blobs: dict[str, bytes], codec: str) -> list[RawFeature]:
    reader = shapefile.Reader(
        shp=io.BytesIO(blobs[".shp"]),
        shx=io.BytesIO(blobs[".shx"]),
        dbf=io.BytesIO(blobs[".dbf"]),
        encoding=codec,
    )
    features = []
    with reader:
        for i, item in enumerate(reader.iterShapeRecords(), start=1):
            props = item.record.as_dict()
            geom, error = None, ""
            if item.shape.shapeType != shapefile.NULL:
                try:
                    geom = shape(item.shape.__geo_interface__)
                except Exception as exc:  # a broken record must not stop the others
                    error = _("its geometry cannot be read: %(error)s") % {"error": exc}
            features.append(RawFeature(i, props, geom, error))
    return features


SHAPEFILE_FIELDS = [  # DBF names are at most 10 characters
    ("code", "C", 20, 0),
    ("name", "C", 254, 0),
    ("level", "C", 10, 0),
    ("parent", "C", 20, 0),
    ("vill_kind", "C", 10, 0),
    ("area_m2", "N", 18, 1),
]


def write_shapefile_zip(rows: list[tuple[dict, BaseGeometry | None]], *, layer: str) -> bytes:
    """A zipped Shapefile in UTF-8 (with .cpg) and WGS-84 (with .prj)."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="utf-8"
    )
    for name, kind, size, decimal in SHAPEFILE_FIELDS:
        writer.field(name, kind, size=size, decimal=decimal)
    for props, geom in rows:
        if geom is None or geom.is_empty:
            writer.null()
        else:
            rings = []
            for poly in shapely.get_parts(geom):
                # Shapefile wants outer rings clockwise, holes counter-clockwise.
                poly = orient(poly, sign=-1.0)
                rings.append(list(poly.exterior.coords))
                rings += [list(r.coords) for r in poly.interiors]
            writer.poly(rings)
        writer.record(
            props["code"],
            props["name"],
            props["level"],
            props.get("parent") or "",
            props.get("village_kind") or "",
            props.get("area_m2") or 0,
        )
    writer.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{layer}.shp", shp.getvalue())
        archive.writestr(f"{layer}.shx", shx.getvalue())
        archive.writestr(f"{layer}.dbf", dbf.getvalue())
        archive.writestr(f"{layer}.prj", WGS84_PRJ)
        archive.writestr(f"{layer}.cpg", "UTF-8")
    return out.getvalue()

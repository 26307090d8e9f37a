import io
import json
import re
import zipfile

import pytest
import shapefile
import shapely
from shapely.geometry import Polygon, box, shape

from tests.factories import make_user
from yemai.accounts.roles import Role
from yemai.grids import coords
from yemai.grids.io import (
    BoundaryImportError,
    grid_boundaries_geojson,
    grid_boundaries_import,
    grid_boundaries_shapefile,
)
from yemai.grids.models import GridNode

from .conftest import NEW_TOWN, geojson_bytes, shapefile_zip

BOWTIE = Polygon([(121.30, 30.20), (121.31, 30.21), (121.31, 30.20), (121.30, 30.21)])
CGCS2000_GK = (
    'PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],UNIT["Meter",1.0]]'
)
BEIJING54 = (
    'GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,'
    '298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)
CGCS2000 = (
    'GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",'
    'SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]]'
)


def _import(data, **kwargs):
    return grid_boundaries_import(data=data, **kwargs)


def _errors(data, **kwargs) -> list[str]:
    with pytest.raises(BoundaryImportError) as exc:
        _import(data, **kwargs)
    return exc.value.report.errors


def test_it_imports_a_town_inferring_levels_and_parents_from_the_codes(db, new_town_geojson):
    report = _import(new_town_geojson)
    assert len(report.created) == 7
    assert report.warnings == []
    micro = GridNode.objects.get(code="330282002002001")
    assert micro.level == "micro"
    assert micro.parent.code == "330282002002"
    assert micro.path.startswith(micro.parent.parent.path)
    assert micro.area_m2 == pytest.approx(1924 * 2224, rel=0.01)
    assert GridNode.objects.get(code="330282002001").village_kind == "community"  # 新城社区
    assert GridNode.objects.get(code="330282002002").village_kind == "village"  # 新河村


def test_it_updates_by_code_and_never_duplicates_on_a_second_import(db, new_town_geojson):
    _import(new_town_geojson)
    again = _import(new_town_geojson)
    assert again.created == [] and again.updated == []
    assert len(again.unchanged) == 7
    renamed = [(c, n.replace("新河村", "新河村委"), g) for c, n, g in NEW_TOWN]
    third = _import(geojson_bytes(renamed))
    assert sorted(third.updated) == ["330282002002", "330282002002001", "330282002002002"]
    assert GridNode.objects.filter(code__startswith="330282002").count() == 7
    assert GridNode.objects.get(code="330282002002").name == "新河村委"


def test_it_converts_gcj02_coordinates_to_wgs84_on_entry(db):
    gcj_rows = [(c, n, coords.transform_geometry(g, "wgs84", "gcj02")) for c, n, g in NEW_TOWN]
    _import(geojson_bytes(gcj_rows), crs="gcj02")
    stored = GridNode.objects.get(code="330282002001001").geometry
    assert shapely.get_coordinates(stored) == pytest.approx(
        shapely.get_coordinates(NEW_TOWN[3][2]), abs=1e-8
    )


def test_it_reads_a_gbk_shapefile_without_cpg(db):
    data = shapefile_zip(NEW_TOWN, encoding="gbk", cpg=None)
    report = _import(data, filename="网格.zip")
    assert report.format == "shapefile"
    assert report.encoding == "gb18030"
    assert GridNode.objects.get(code="330282002001").name == "新城社区"


def test_it_follows_the_cpg_and_a_declared_encoding(db):
    _import(shapefile_zip(NEW_TOWN[:1], encoding="gbk", cpg="936"))
    assert GridNode.objects.get(code="330282002").name == "新城镇"
    report = _import(shapefile_zip(NEW_TOWN[:2], encoding="gbk", cpg=None), encoding="GBK")
    assert report.created == ["330282002001"]
    assert GridNode.objects.get(code="330282002001").name == "新城社区"


def test_it_accepts_a_cgcs2000_prj_and_a_shapefile_of_utf8_with_cpg(db):
    report = _import(shapefile_zip(NEW_TOWN, prj=CGCS2000, cpg="UTF-8"))
    assert len(report.created) == 7


@pytest.mark.parametrize(
    "prj,name",
    [(CGCS2000_GK, "CGCS2000_3_Degree_GK_CM_120E"), (BEIJING54, "GCS_Beijing_1954")],
)
def test_it_refuses_a_prj_that_is_not_geographic_wgs84_naming_it(db, prj, name):
    errors = _errors(shapefile_zip(NEW_TOWN, prj=prj))
    assert len(errors) == 1 and name in errors[0]
    assert not GridNode.objects.exists()


def test_it_reports_every_bad_feature_by_number_and_code_and_saves_nothing(db):
    rows = [
        *NEW_TOWN[:3],
        ("330282002001001", "蝴蝶", BOWTIE),  # 4: self-intersecting
        ("330282002001002", "", box(121.30, 30.22, 121.32, 30.24)),  # 5: no name
        ("33028200200100", "短码", box(121.30, 30.22, 121.31, 30.23)),  # 6: 14 digits
        ("330282002002001", "新河村第1微网格", box(121.32, 30.20, 121.34, 30.22)),
        ("330282002002001", "重复", box(121.32, 30.22, 121.34, 30.24)),  # 8: repeats 7
    ]
    errors = _errors(geojson_bytes(rows))
    text = "\n".join(errors)
    assert (
        "Feature 4 (330282002001001): Grid 330282002001001: the boundary is invalid: Self-intersection at 121.305 30.205"
        in text
    )
    assert "Feature 5 (330282002001002): it has no name" in text
    assert "Feature 6 (33028200200100): its code has 14 characters" in text
    assert "Feature 8 (330282002002001): code 330282002002001 repeats feature 7" in text
    assert len(errors) == 4
    assert not GridNode.objects.exists()


def test_it_refuses_an_overlapping_pair_naming_both(db):
    rows = [*NEW_TOWN[:3], ("330282002001001", "甲", box(121.30, 30.20, 121.32, 30.23)),
            ("330282002001002", "乙", box(121.30, 30.22, 121.32, 30.24))]  # fmt: skip
    errors = _errors(geojson_bytes(rows))
    assert len(errors) == 1
    assert errors[0].startswith("Feature 4: Grids 330282002001001 and 330282002001002 overlap by")
    assert not GridNode.objects.exists()


def test_it_refuses_a_child_outside_its_parent(db):
    rows = [*NEW_TOWN[:3], ("330282002001001", "越界", box(121.30, 30.20, 121.325, 30.22))]
    errors = _errors(geojson_bytes(rows))
    assert any(
        "330282002001001 sticks out of its parent 330282002001 by up to 480" in e for e in errors
    ), errors
    assert not GridNode.objects.exists()


def test_it_returns_gaps_as_warnings_and_imports_anyway(db):
    rows = [*NEW_TOWN[:3], NEW_TOWN[3]]  # 新城社区 has only its south half covered
    report = _import(geojson_bytes(rows))
    assert len(report.created) == 4
    gaps = [w for w in report.warnings if "330282002001:" in w]
    assert len(gaps) == 1 and "belong to none of its children" in gaps[0]
    area = float(re.search(r"([\d.]+) m²", gaps[0]).group(1))
    assert area == pytest.approx(1922 * 2224, rel=0.001)  # the north half


def test_it_checks_a_dry_run_without_saving(db, new_town_geojson):
    report = _import(new_town_geojson, dry_run=True)
    assert report.dry_run and len(report.created) == 7
    assert not GridNode.objects.exists()


def test_it_refuses_a_file_that_is_not_geojson(db):
    errors = _errors(b"code,name\n1,2\n")
    assert errors and "not GeoJSON" in errors[0]


def test_it_refuses_to_move_an_existing_grid(town):
    rows = [
        ("330282001001001", "东门1", box(121.20, 30.20, 121.22, 30.22), {"parent": "330282001002"})
    ]
    errors = _errors(geojson_bytes(rows))
    assert any("must begin with its parent's code" in e for e in errors)


def test_it_keeps_a_scoped_importer_inside_their_scope(town):
    dongmen_admin = make_user("dongmen_admin", Role.SYSTEM_ADMIN, town.dongmen)
    rows = [
        ("330282001001001", "东门1（新）", box(121.20, 30.20, 121.22, 30.22)),
        ("330282001002001", "西门1（新）", box(121.22, 30.20, 121.24, 30.22)),
        ("330282001002003", "西门3", box(121.225, 30.205, 121.23, 30.21)),
    ]
    errors = _errors(geojson_bytes(rows), user=dongmen_admin)
    assert "Feature 2 (330282001002001): grid 330282001002001 is outside your scope" in errors
    assert any(
        e.startswith("Feature 3") and "neither in the file nor in your grids" in e for e in errors
    )
    assert GridNode.objects.get(code="330282001001001").name == "东门社区第1微网格"
    report = _import(geojson_bytes(rows[:1]), user=dongmen_admin)
    assert report.updated == ["330282001001001"]


def test_it_exports_a_subtree_as_geojson_with_its_properties(town):
    doc = grid_boundaries_geojson(root=town.dongmen)
    by_code = {f["properties"]["code"]: f for f in doc["features"]}
    assert sorted(by_code) == ["330282001001", "330282001001001", "330282001001002"]
    props = by_code["330282001001001"]["properties"]
    assert props == {
        "code": "330282001001001",
        "name": "东门社区第1微网格",
        "level": "micro",
        "parent": "330282001001",
        "village_kind": None,
        "area_m2": pytest.approx(1924 * 2224, rel=0.01),
    }
    assert by_code["330282001001"]["properties"]["village_kind"] == "community"
    assert shape(by_code["330282001001001"]["geometry"]).equals(town.dongmen1.geometry)


def test_it_reimports_its_own_exports_unchanged(town):
    doc = json.dumps(grid_boundaries_geojson(root=town.town), ensure_ascii=False).encode()
    assert len(_import(doc).unchanged) == 7
    report = _import(grid_boundaries_shapefile(root=town.town), filename="grids.zip")
    assert report.encoding == "utf-8"
    assert len(report.unchanged) == 7


def test_it_exports_a_zipped_shapefile_in_utf8_and_wgs84(town):
    data = grid_boundaries_shapefile(root=town.ximen)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(archive.namelist())
    assert names == [f"grids_330282001002.{e}" for e in ("cpg", "dbf", "prj", "shp", "shx")]
    assert archive.read("grids_330282001002.cpg") == b"UTF-8"
    assert b"WGS_1984" in archive.read("grids_330282001002.prj")
    reader = shapefile.Reader(
        shp=io.BytesIO(archive.read("grids_330282001002.shp")),
        shx=io.BytesIO(archive.read("grids_330282001002.shx")),
        dbf=io.BytesIO(archive.read("grids_330282001002.dbf")),
        encoding="utf-8",
    )
    records = [r.as_dict() for r in reader.records()]
    assert [r["name"] for r in records] == ["西门村", "西门村第1微网格", "西门村第2微网格"]
    assert records[1]["parent"] == "330282001002"


def test_it_drops_heights_from_a_polygonz(db):
    rows = [(c, n, shapely.force_3d(g, 12.5)) for c, n, g in NEW_TOWN]
    _import(geojson_bytes(rows))
    assert not GridNode.objects.get(code="330282002001001").geometry.has_z

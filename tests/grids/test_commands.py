import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import Polygon, box

from yemai.grids import coords
from yemai.grids.models import GridNode
from yemai.grids.services import grid_node_set_boundary

from .conftest import NEW_TOWN, geojson_bytes, shapefile_zip


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_a_geojson_file(db, tmp_path):
    path = tmp_path / "新城镇.geojson"
    path.write_bytes(geojson_bytes(NEW_TOWN))
    out, _ = run("grids", "import", str(path))
    assert "7 grids were created, 0 updated, 0 unchanged" in out
    out, _ = run("grids", "import", str(path))
    assert "0 grids were created, 0 updated, 7 unchanged" in out


def test_it_imports_a_gbk_shapefile_left_beside_its_siblings(db, tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(shapefile_zip(NEW_TOWN, encoding="gbk")))
    archive.extractall(tmp_path)
    out, _ = run("grids", "import", str(tmp_path / "网格.shp"), "--encoding", "gbk")
    assert "(shapefile, gb18030): 7 grids were created" in out
    assert GridNode.objects.get(code="330282002").name == "新城镇"


def test_it_converts_a_declared_crs_and_checks_without_saving_on_dry_run(db, tmp_path):
    rows = [(c, n, coords.transform_geometry(g, "wgs84", "bd09")) for c, n, g in NEW_TOWN]
    path = tmp_path / "baidu.geojson"
    path.write_bytes(geojson_bytes(rows))
    out, _ = run("grids", "import", str(path), "--crs", "bd09", "--dry-run")
    assert "7 grids would be created" in out
    assert not GridNode.objects.exists()


def test_it_prints_every_error_and_imports_nothing(db, tmp_path):
    bowtie = Polygon([(121.30, 30.20), (121.31, 30.21), (121.31, 30.20), (121.30, 30.21)])
    path = tmp_path / "bad.geojson"
    path.write_bytes(
        geojson_bytes(
            [
                *NEW_TOWN[:3],
                ("330282002001001", "蝴蝶", bowtie),
                ("33028200200", "短", box(121.3, 30.2, 121.31, 30.21)),
            ]
        )
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing imported: 2 error"):
        call_command("grids", "import", str(path), stdout=io.StringIO(), stderr=err)
    assert (
        "error: Feature 4 (330282002001001): Grid 330282002001001: the boundary is invalid: Self-intersection at 121.305 30.205"
        in err.getvalue()
    )
    assert "error: Feature 5 (33028200200)" in err.getvalue()
    assert not GridNode.objects.exists()


def test_it_exports_geojson_and_shapefile(town, tmp_path):
    target = tmp_path / "dongmen.geojson"
    out, _ = run(
        "grids", "export", "--root", "330282001001", "--format", "geojson", "-o", str(target)
    )
    assert "3 grids written" in out
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["features"][0]["properties"]["name"] == "东门社区"
    shp = tmp_path / "town.zip"
    run("grids", "export", "--root", "330282001", "--format", "shapefile", "-o", str(shp))
    assert sorted(zipfile.ZipFile(shp).namelist())[0] == "grids_330282001.cpg"
    with pytest.raises(CommandError, match="no grid with code 999"):
        run("grids", "export", "--root", "999", "-o", str(target))


def test_it_checks_and_prints_errors_and_gap_warnings(town):
    out, _ = run("grids", "check")
    assert "0 error(s), 0 warning(s)" in out
    grid_node_set_boundary(node=town.dongmen1, boundary=box(121.201, 30.20, 121.22, 30.22))
    grid_node_set_boundary(
        node=town.ximen1, boundary=box(121.22, 30.20, 121.24, 30.221), check=False
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("grids", "check", "--root", "330282001", stdout=out)
    text = out.getvalue()
    assert "error: Grids 330282001002001 and 330282001002002 overlap by" in text
    assert "warning: Grid 330282001001:" in text and "belong to none of its children" in text
    dongmen_only, _ = run("grids", "check", "--root", "330282001001")
    assert "0 error(s), 1 warning(s)" in dongmen_only


def test_it_locates_one_point(town):
    out, _ = run("locate", "121.21", "30.21")
    assert out.strip() == "330282001001001\t东门社区第1微网格\t(inside)"
    lon, lat = coords.wgs84_to_gcj02(121.2301, 30.2301)
    out, _ = run("locate", str(lon), str(lat), "--crs", "gcj02")
    assert out.startswith("330282001002002")
    out, _ = run("locate", "121.50", "30.21")
    assert "in no micro-grid" in out


def test_it_locates_every_row_of_a_csv(town, tmp_path):
    source = tmp_path / "points.csv"
    source.write_text(
        "编号,经度,纬度\n1,121.21,30.21\n2,121.23,30.23\n3,abc,30.2\n4,121.5,30.2\n", encoding="gbk"
    )
    target = tmp_path / "out.csv"
    _, err = run("locate", "--csv", str(source), "-o", str(target))
    assert "2 of 4 points located" in err
    assert "line numbers): 4" in err
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["编号", "经度", "纬度", "grid_code", "grid_name", "distance_m"]
    assert rows[1][3:] == ["330282001001001", "东门社区第1微网格", "0.0"]
    assert rows[2][3] == "330282001002002"
    assert rows[3][3:] == ["", "", ""] and rows[4][3:] == ["", "", ""]


@pytest.mark.parametrize(
    "args",
    [
        ["grids", "import", "--help"],
        ["grids", "export", "--help"],
        ["grids", "check", "--help"],
        ["locate", "--help"],
    ],
)
def test_every_subcommand_explains_itself(args, capsys):
    with pytest.raises(SystemExit) as exc:
        call_command(*args)
    assert exc.value.code == 0
    assert "usage:" in capsys.readouterr().out

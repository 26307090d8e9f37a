import pytest
from django.core.exceptions import ValidationError
from shapely.geometry import Polygon, box

from yemai.grids.choices import Level
from yemai.grids.geo import metres_to_degrees
from yemai.grids.services import grid_node_create, grid_node_set_boundary
from yemai.grids.validation import GridShape, boundary_check, check_tree, code_errors

BOWTIE = Polygon([(121.20, 30.20), (121.21, 30.21), (121.21, 30.20), (121.20, 30.21)])
M = metres_to_degrees(1, 30.22)  # one metre of longitude here, in degrees


def _messages(exc_info) -> str:
    return " | ".join(exc_info.value.messages)


# --- codes ---------------------------------------------------------------------------------


def test_it_accepts_codes_in_the_national_pattern():
    assert code_errors("330282001", Level.TOWN) == []
    assert code_errors("330282001001", Level.VILLAGE, "330282001") == []
    assert code_errors("330282001001007", Level.MICRO, "330282001001") == []


@pytest.mark.parametrize(
    "code,level,parent,expected",
    [
        ("33028201", Level.TOWN, None, "not a town code: 9 digits"),
        ("330282001A01", Level.VILLAGE, "330282001", "not a village code: 12 digits"),
        ("33028200100101", Level.MICRO, "330282001001", "not a micro-grid code: 15 digits"),
        ("330282002001", Level.VILLAGE, "330282001", "must begin with its parent's code 330282001"),
        ("990282001", Level.TOWN, None, "county code of GB/T 2260"),
        ("330282001000", Level.VILLAGE, "330282001", "numbering starts at 001"),
    ],
)
def test_it_explains_a_bad_code(code, level, parent, expected):
    errors = code_errors(code, level, parent)
    assert any(expected in e for e in errors), errors
    assert any(code in e for e in errors)


def test_it_refuses_to_create_a_grid_whose_code_does_not_start_with_its_parents(town):
    with pytest.raises(ValidationError) as exc:
        grid_node_create(
            code="330282001002009", name="错编码", level=Level.MICRO, parent=town.dongmen
        )
    assert "must begin with its parent's code 330282001001" in _messages(exc)
    assert "code" in exc.value.message_dict


# --- one node, on create and update ----------------------------------------------------------


def test_it_refuses_a_self_intersecting_boundary_naming_the_grid_and_the_place(db):
    with pytest.raises(ValidationError) as exc:
        grid_node_create(code="330282009", name="蝴蝶镇", level=Level.TOWN, boundary=BOWTIE)
    message = exc.value.message_dict["boundary"][0]
    assert "330282009" in message
    assert "Self-intersection at 121.205 30.205" in message


def test_it_refuses_a_child_sticking_out_of_its_parent(town):
    # 东门社区 ends at 121.22; this micro-grid reaches ~100 m into 西门村.
    outline = box(121.205, 30.205, 121.221, 30.215)
    grid_node_set_boundary(node=town.dongmen1, boundary=box(121.20, 30.20, 121.205, 30.22))
    with pytest.raises(ValidationError) as exc:
        grid_node_create(
            code="330282001001003",
            name="东门3",
            level=Level.MICRO,
            parent=town.dongmen,
            boundary=outline,
        )
    message = _messages(exc)
    assert "330282001001003 sticks out of its parent 330282001001 by up to 96" in message


def test_it_allows_a_child_to_stick_out_less_than_the_tolerance(town):
    # Half a metre past the village's east edge: survey noise, not an error.
    grid_node_set_boundary(node=town.dongmen1, boundary=box(121.20, 30.20, 121.22 + 0.5 * M, 30.22))
    town.dongmen1.refresh_from_db()
    assert town.dongmen1.max_lon == pytest.approx(121.22 + 0.5 * M)


def test_it_refuses_a_sibling_overlap_naming_both_codes_and_the_area(town):
    # 东门2 stretched 100 m south into 东门1: 100 m × ~1,924 m overlap.
    stretched = box(121.20, 30.22 - 100 / 111_195, 121.22, 30.24)
    with pytest.raises(ValidationError) as exc:
        grid_node_set_boundary(node=town.dongmen2, boundary=stretched)
    message = _messages(exc)
    assert "Grids 330282001001001 and 330282001001002 overlap by 192" in message
    assert "m²" in message
    town.dongmen2.refresh_from_db()
    assert town.dongmen2.min_lat == pytest.approx(30.22)  # nothing saved


def test_it_allows_a_sibling_overlap_thinner_than_the_tolerance(town):
    grid_node_set_boundary(
        node=town.dongmen2, boundary=box(121.20, 30.22 - 0.5 / 111_195, 121.22, 30.24)
    )


def test_it_refuses_a_parent_boundary_that_leaves_its_children_outside(town):
    with pytest.raises(ValidationError) as exc:
        grid_node_set_boundary(node=town.dongmen, boundary=box(121.20, 30.20, 121.21, 30.24))
    message = _messages(exc)
    assert "330282001001001 sticks out of its parent 330282001001" in message
    assert "330282001001002 sticks out of its parent 330282001001" in message


def test_it_lets_the_importer_skip_the_check_and_run_it_once(town):
    grid_node_set_boundary(node=town.dongmen1, boundary=BOWTIE, check=False)
    report = boundary_check(root=town.dongmen)
    assert [i.kind for i in report.errors] == ["invalid"]
    assert "330282001001001" in report.errors[0].message


# --- a whole subtree -----------------------------------------------------------------------


def test_it_finds_nothing_wrong_with_the_shared_town(town):
    report = boundary_check(root=town.town)
    assert report.ok
    assert report.warnings == []


def test_it_reports_a_gap_as_a_warning_with_its_area(town):
    # 东门1 shrinks by 200 m from its west edge: a 200 m × 2,222 m strip belongs to nobody.
    grid_node_set_boundary(node=town.dongmen1, boundary=box(121.20 + 200 * M, 30.20, 121.22, 30.22))
    report = boundary_check(root=town.town)
    assert report.ok
    assert len(report.warnings) == 1
    gap = report.warnings[0]
    assert gap.code == "330282001001"
    assert gap.area_m2 == pytest.approx(200 * 2_224, rel=0.01)
    assert "belong to none of its children" in gap.message


def test_it_ignores_gaps_below_the_minimum_area_and_slivers(town, settings):
    settings.GRID_GAP_MIN_AREA_M2 = 50
    # A 0.4 m sliver along the whole west edge: over 50 m² but thinner than the 1 m tolerance.
    grid_node_set_boundary(node=town.dongmen1, boundary=box(121.20 + 0.4 * M, 30.20, 121.22, 30.22))
    assert boundary_check(root=town.dongmen).warnings == []
    settings.GRID_BOUNDARY_TOLERANCE_M = 0
    assert len(boundary_check(root=town.dongmen).warnings) == 1


def test_it_checks_shapes_that_are_not_saved_yet():
    village = GridShape("330282001001", Level.VILLAGE, None, box(0, 0, 0.01, 0.01))
    children = [
        GridShape("330282001001001", Level.MICRO, "330282001001", box(0, 0, 0.006, 0.01)),
        GridShape("330282001001002", Level.MICRO, "330282001001", box(0.004, 0, 0.012, 0.01)),
    ]
    report = check_tree([village, *children])
    kinds = sorted(i.kind for i in report.errors)
    assert kinds == ["outside_parent", "overlap"]


def test_it_hands_back_gap_warnings_of_a_saved_boundary(town):
    # The town grows 1 km west; neither village covers the new strip.
    node = grid_node_set_boundary(node=town.town, boundary=box(121.19, 30.20, 121.24, 30.24))
    assert len(node.boundary_warnings) == 1
    assert node.boundary_warnings[0].startswith("Grid 330282001: ")

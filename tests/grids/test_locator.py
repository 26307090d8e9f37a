import numpy as np
import pytest
from shapely.geometry import box

from yemai.grids import locator
from yemai.grids.geo import metres_to_degrees
from yemai.grids.locator import locate, locate_many
from yemai.grids.models import GridNode
from yemai.grids.services import grid_node_set_boundary

DONGMEN1, DONGMEN2 = "330282001001001", "330282001001002"
XIMEN1, XIMEN2 = "330282001002001", "330282001002002"
M = metres_to_degrees(1, 30.21)  # one metre of longitude here


def test_it_finds_the_grid_a_point_lies_in(town):
    hit = locate(121.23, 30.23)
    assert (hit.code, hit.name, hit.distance_m) == (XIMEN2, "西门村第2微网格", 0.0)
    assert hit.grid_id == town.ximen2.pk


def test_it_gives_a_point_on_a_shared_border_to_the_lowest_code(town):
    assert locate(121.21, 30.22).code == DONGMEN1  # 东门1 | 东门2
    assert locate(121.22, 30.23).code == DONGMEN2  # 东门2 | 西门2
    assert locate(121.23, 30.22).code == XIMEN1  # 西门1 | 西门2


def test_it_gives_a_vertex_shared_by_four_grids_to_the_lowest_code(town):
    assert locate(121.22, 30.22).code == DONGMEN1


def test_it_takes_the_nearest_grid_within_reach_and_nothing_beyond(town, settings):
    settings.GRID_LOCATE_NEAREST_M = 50
    near = locate(121.20 - 20 * M, 30.21)
    assert near.code == DONGMEN1
    assert near.distance_m == pytest.approx(20, abs=0.1)
    assert locate(121.20 - 80 * M, 30.21) is None
    assert locate(121.20 - 80 * M, 30.21, nearest_m=100).code == DONGMEN1
    assert locate(121.20 - 1 * M, 30.21, nearest_m=0) is None


def test_it_answers_a_batch_exactly_as_one_point_at_a_time(town):
    rng = np.random.default_rng(42)
    # The town and a 200 m margin around it, so some points fall outside every grid.
    lons = rng.uniform(121.198, 121.242, 1000)
    lats = rng.uniform(30.198, 30.242, 1000)
    lons[:10] = 121.22  # on a border
    lats[:5] = 30.22  # … five of them on the four-grid vertex
    batch = locate_many(lons, lats)
    single = [locate(lon, lat) for lon, lat in zip(lons, lats, strict=True)]
    assert [h and h.code for h in batch] == [h and h.code for h in single]
    assert [h and round(h.distance_m, 6) for h in batch] == [
        h and round(h.distance_m, 6) for h in single
    ]
    assert sum(h is None for h in batch) > 0
    assert sum(h is not None and h.distance_m > 0 for h in batch) > 0


def test_it_skips_points_without_finite_coordinates(town):
    hits = locate_many([121.21, float("nan"), float("inf")], [30.21, 30.21, 30.21])
    assert [h and h.code for h in hits] == [DONGMEN1, None, None]


def test_it_rebuilds_the_index_after_a_boundary_change_through_the_service(
    town, django_capture_on_commit_callbacks
):
    assert locate(121.21, 30.215).code == DONGMEN1
    with django_capture_on_commit_callbacks(execute=True):
        # 东门1 gives up its northern 1 km to 东门2.
        grid_node_set_boundary(
            node=town.dongmen2, boundary=box(121.20, 30.22, 121.22, 30.24), check=False
        )
        grid_node_set_boundary(node=town.dongmen1, boundary=box(121.20, 30.20, 121.22, 30.21))
        grid_node_set_boundary(node=town.dongmen2, boundary=box(121.20, 30.21, 121.22, 30.24))
    assert locate(121.21, 30.215).code == DONGMEN2


def test_it_notices_a_change_made_by_another_process(town, monkeypatch):
    assert locate(121.21, 30.215).code == DONGMEN1
    # Another process renames the grid; this one has no on_commit hook, only the signature.
    GridNode.objects.filter(pk=town.dongmen1.pk).update(
        name="东门新村", updated_at=town.dongmen1.updated_at.replace(year=2100)
    )
    assert locate(121.21, 30.215).name == "东门社区第1微网格"  # within CHECK_SECONDS
    monkeypatch.setattr(locator, "CHECK_SECONDS", 0.0)
    assert locate(121.21, 30.215).name == "东门新村"


def test_it_agrees_with_a_brute_force_search_on_irregular_grids_and_their_vertices():
    """The cell lattice is a shortcut: it must give exactly what testing every polygon gives,
    for random points and for points on shared vertices (where the lowest code must win)."""
    import numpy as np
    import shapely

    from yemai.grids.locator import GridIndex

    rng = np.random.default_rng(7)
    seeds = shapely.multipoints(rng.uniform([121.0, 30.0], [121.2, 30.15], size=(300, 2)))
    extent = shapely.box(121.0, 30.0, 121.2, 30.15)
    cells = [
        c.intersection(extent) for c in shapely.voronoi_polygons(seeds, extend_to=extent).geoms
    ]
    cells = [c for c in cells if not c.is_empty]
    codes = [f"{i:06d}" for i in range(len(cells))]
    index = GridIndex(
        list(range(1, len(cells) + 1)), codes, codes, [shapely.to_wkb(c) for c in cells]
    )

    vertices = np.concatenate([shapely.get_coordinates(c)[:-1] for c in cells[:100]])
    points = np.concatenate(
        [rng.uniform([120.99, 29.99], [121.21, 30.16], size=(4000, 2)), vertices]
    )
    brute = []
    for lon, lat in points:
        hits = [i for i, c in enumerate(cells) if shapely.intersects_xy(c, lon, lat)]
        brute.append(min(hits) if hits else -1)
    single = []
    for lon, lat in points:
        hit = index.locate(lon, lat, 0)
        single.append(codes.index(hit.code) if hit else -1)
    batch, _ = index.locate_many(points[:, 0], points[:, 1], 0)
    assert single == brute
    assert batch.tolist() == brute

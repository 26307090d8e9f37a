import math

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from yemai.grids import coords
from yemai.grids.geo import distance_m

TIANANMEN_WGS = (116.391275, 39.906217)


def _metres(a, b):
    return distance_m(a[0], a[1], b[0], b[1])


def test_it_shifts_tiananmen_as_amap_does():
    gcj = coords.wgs84_to_gcj02(*TIANANMEN_WGS)
    # The published formulas put it about 530 m east-north-east (116.397516, 39.907618).
    assert gcj == pytest.approx((116.397516, 39.907618), abs=2e-6)
    assert 500 < _metres(TIANANMEN_WGS, gcj) < 600


def test_it_computes_the_shift_from_the_krasovsky_formulas_themselves():
    # An independent scalar transcription of the standard formulas, for one point.
    lon, lat = TIANANMEN_WGS
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    dlat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20 * math.sin(6 * x * pi) + 20 * math.sin(2 * x * pi)) * 2 / 3
    dlat += (20 * math.sin(y * pi) + 40 * math.sin(y / 3 * pi)) * 2 / 3
    dlat += (160 * math.sin(y / 12 * pi) + 320 * math.sin(y * pi / 30)) * 2 / 3
    dlon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlon += (20 * math.sin(6 * x * pi) + 20 * math.sin(2 * x * pi)) * 2 / 3
    dlon += (20 * math.sin(x * pi) + 40 * math.sin(x / 3 * pi)) * 2 / 3
    dlon += (150 * math.sin(x / 12 * pi) + 300 * math.sin(x / 30 * pi)) * 2 / 3
    rad = lat / 180 * pi
    magic = 1 - ee * math.sin(rad) ** 2
    dlat = dlat * 180 / ((a * (1 - ee)) / (magic * math.sqrt(magic)) * pi)
    dlon = dlon * 180 / (a / math.sqrt(magic) * math.cos(rad) * pi)
    assert coords.wgs84_to_gcj02(lon, lat) == pytest.approx((lon + dlon, lat + dlat), abs=1e-12)


def test_it_leaves_points_outside_china_alone():
    paris = (2.3522, 48.8566)
    assert coords.wgs84_to_gcj02(*paris) == paris
    assert coords.gcj02_to_wgs84(*paris) == paris
    assert coords.out_of_china(*paris)
    assert not coords.out_of_china(*TIANANMEN_WGS)


@pytest.mark.parametrize(
    "forward,backward",
    [
        (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84),
        (coords.wgs84_to_bd09, coords.bd09_to_wgs84),
        (coords.gcj02_to_bd09, coords.bd09_to_gcj02),
    ],
)
def test_it_round_trips_within_a_centimetre(forward, backward):
    rng = np.random.default_rng(7)
    lon = rng.uniform(73.5, 134.5, 20_000)
    lat = rng.uniform(18.5, 53.0, 20_000)
    back_lon, back_lat = backward(*forward(lon, lat))
    error = np.hypot((back_lon - lon) * np.cos(np.radians(lat)), back_lat - lat) * 111_195
    assert error.max() < 0.01


def test_it_inverts_gcj02_better_than_the_one_step_approximation():
    gcj = coords.wgs84_to_gcj02(*TIANANMEN_WGS)
    # The one-step inverse subtracts the shift computed at the GCJ point: off by decimetres.
    dlon = coords.wgs84_to_gcj02(*gcj)[0] - gcj[0]
    dlat = coords.wgs84_to_gcj02(*gcj)[1] - gcj[1]
    one_step = (gcj[0] - dlon, gcj[1] - dlat)
    assert _metres(one_step, TIANANMEN_WGS) > 0.05
    assert _metres(coords.gcj02_to_wgs84(*gcj), TIANANMEN_WGS) < 0.001


def test_it_converts_baidu_coordinates_to_wgs84():
    bd = coords.wgs84_to_bd09(*TIANANMEN_WGS)
    # BD-09 lies a further ~800 m off GCJ-02, to the north-east.
    assert 1000 < _metres(TIANANMEN_WGS, bd) < 1600
    assert _metres(coords.to_wgs84(*bd, "bd09"), TIANANMEN_WGS) < 0.01


def test_it_returns_floats_for_floats_and_arrays_for_arrays():
    lon, lat = coords.to_wgs84(121.2, 30.2, "gcj02")
    assert isinstance(lon, float) and isinstance(lat, float)
    lons, lats = coords.to_wgs84(np.array([121.2, 121.3]), np.array([30.2, 30.3]), "gcj02")
    assert lons.shape == (2,) and lats.shape == (2,)


def test_it_transforms_every_vertex_of_a_geometry():
    wgs = box(121.20, 30.20, 121.22, 30.22)
    gcj = coords.transform_geometry(wgs, "wgs84", "gcj02")
    shifted = shapely.get_coordinates(gcj) - shapely.get_coordinates(wgs)
    assert (np.abs(shifted) > 0.001).any(axis=1).all()  # a few hundred metres each
    back = coords.transform_geometry(gcj, "gcj02")
    assert shapely.get_coordinates(back) == pytest.approx(shapely.get_coordinates(wgs), abs=1e-9)


def test_it_names_an_unknown_coordinate_system():
    with pytest.raises(ValueError, match="wgs84, gcj02 or bd09"):
        coords.normalize_crs("utm50")
    assert coords.normalize_crs("GCJ-02") == "gcj02"
    assert coords.normalize_crs("CGCS2000") == "wgs84"

import pytest

from tests.browser.conftest import pages  # noqa: F401 — the browser tests' fixture
from tests.factories import build_town
from yemai.vision import services


@pytest.fixture
def town(db):
    """The shared town. Transactional tests (live server, browser, worker processes) flush
    the tables when they end; serialized_rollback puts the migrations' rows back, but not on
    every backend and plugin version (tests/browser/test_story.py met the same), so seed them
    again (idempotent) first."""
    import importlib

    from django.apps import apps

    for module, func in (
        ("yemai.cases.migrations.0002_taxonomy", "load"),
        ("yemai.people.migrations.0002_tags", "create_tags"),
    ):
        getattr(importlib.import_module(module), func)(apps, None)
    return build_town()


ZONE = {
    "name": "人行道",
    "kind": "no_parking",
    "polygon": [[10, 150], [200, 150], [200, 235], [10, 235]],
    "image_width": 320,
    "image_height": 240,
    "dwell_s": 15,
    "cooldown_s": 600,
}


@pytest.fixture
def cameras(town):
    """A camera with a zone in 东门1 and one in 西门1."""
    made = {}
    for grid, code in ((town.dongmen1, "CAM-D1"), (town.ximen1, "CAM-X1")):
        camera = services.camera_create(
            user=town.operator,
            code=code,
            name=f"{grid.name}路口",
            lon=grid.min_lon + 0.003,
            lat=grid.min_lat + 0.003,
            stream_url="/nonexistent.mp4",
        )
        services.zone_create(user=town.operator, camera=camera, **ZONE)
        made[code] = camera
    town.cam_d1, town.cam_x1 = made["CAM-D1"], made["CAM-X1"]
    return town

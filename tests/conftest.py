import pytest

from tests.factories import build_town


@pytest.fixture
def town(db):
    return build_town()


@pytest.fixture(autouse=True)
def _fresh_locator():
    from yemai.grids import locator

    locator.invalidate()
    yield
    locator.invalidate()

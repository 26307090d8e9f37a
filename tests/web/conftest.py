import pytest

from yemai.cases.services import category_link_departments


@pytest.fixture
def web_town(town, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    category_link_departments(town=town.town)
    return town


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()

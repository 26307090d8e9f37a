import pytest

from tests.factories import make_user
from yemai.accounts.roles import Role
from yemai.cases.models import Category
from yemai.cases.services import category_link_departments


@pytest.fixture
def loop_town(town):
    """The shared town with its departments linked to the categories and a 城管 liaison."""
    category_link_departments(town=town.town)
    town.liaison = make_user(
        "chengguan_liaison", Role.DEPARTMENT, town.town, department=town.chengguan
    )
    town.garbage = Category.objects.get(code="0101")  # 暴露垃圾, owned by 环卫 (not in town)
    town.stall = Category.objects.get(code="0203")  # 占道经营, owned by 城管
    return town


IN_DONGMEN1 = {"lon": 121.21, "lat": 30.21}
IN_XIMEN1 = {"lon": 121.23, "lat": 30.21}
OUTSIDE = {"lon": 121.5, "lat": 30.5}

from yemai.grids.locator import locate
from yemai.people.models import Resident


def test_it_builds_the_shared_town(town):
    assert town.dongmen1.path.startswith(town.dongmen.path)
    assert Resident.objects.restrict(town.dongmen1_member).count() == 1  # restricted one hidden
    assert locate(121.21, 30.21).code == "330282001001001"

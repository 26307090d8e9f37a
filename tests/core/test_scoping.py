"""The scope rule in the base layer: each user sees their node's subtree, nothing else."""

from yemai.accounts.models import User
from yemai.grids.models import GridNode
from yemai.people.models import Resident


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_a_village_head_sees_only_their_village_subtree(town):
    assert codes(GridNode.objects.restrict(town.dongmen_head)) == [
        "330282001001",
        "330282001001001",
        "330282001001002",
    ]


def test_a_member_sees_only_their_micro_grid(town):
    assert codes(GridNode.objects.restrict(town.dongmen1_member)) == ["330282001001001"]


def test_the_town_head_sees_the_whole_town(town):
    assert GridNode.objects.restrict(town.town_head).count() == 7


def test_an_anonymous_or_unscoped_user_sees_nothing(town):
    from django.contrib.auth.models import AnonymousUser

    assert not GridNode.objects.restrict(AnonymousUser()).exists()
    nobody = User.objects.create_user(username="nobody", password="x", role="member")
    assert not GridNode.objects.restrict(nobody).exists()


def test_an_inactive_user_sees_nothing(town):
    town.dongmen_head.is_active = False
    assert not Resident.objects.restrict(town.dongmen_head).exists()


def test_restricted_tags_hide_people_unless_granted(town):
    names = lambda user: sorted(Resident.objects.restrict(user).values_list("name", flat=True))  # noqa: E731
    assert "钱七" not in names(town.dongmen_head)
    town.dongmen_head.granted_tags = ["社区矫正"]
    assert "钱七" in names(town.dongmen_head)
    town.ximen_head.granted_tags = ["社区矫正"]
    assert "钱七" not in names(town.ximen_head)  # granted the tag, but not the grid


def test_other_restricted_tags_stay_hidden(town):
    town.dongmen_head.granted_tags = ["吸毒"]
    assert "钱七" not in Resident.objects.restrict(town.dongmen_head).values_list("name", flat=True)

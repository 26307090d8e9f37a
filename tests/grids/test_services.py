import pytest
from django.core.exceptions import ValidationError
from shapely.geometry import box

from yemai.grids import coords
from yemai.grids.choices import TeamKind
from yemai.grids.locator import locate
from yemai.grids.models import Team
from yemai.grids.services import (
    department_create,
    grid_node_update,
    service_point_create,
    service_point_update,
    team_ensure_all,
    team_member_add,
    team_member_update,
)


def test_it_gives_every_micro_grid_its_three_teams_once(town):
    teams = team_ensure_all(grid=town.dongmen1)
    assert sorted(t.kind for t in teams) == sorted(TeamKind.values)
    assert Team.objects.filter(grid=town.dongmen1).count() == 3
    with pytest.raises(ValidationError, match="Teams belong to micro-grids"):
        team_ensure_all(grid=town.dongmen)


def test_it_adds_a_member_with_a_normalised_phone_tags_and_an_area(town):
    member = team_member_add(
        team=town.dongmen1_work,
        name="陈明",
        phone="0086 139 0000 3333",
        duty_tags=["协调员", "协调员", "监督员"],
        area=box(121.205, 30.205, 121.21, 30.21),
        area_note="东门路以南",
    )
    member.refresh_from_db()
    assert member.phone == "13900003333"
    assert member.duty_tags == ["协调员", "监督员"]
    assert member.area is not None


def test_it_converts_an_area_drawn_on_amap(town):
    area = coords.transform_geometry(box(121.2001, 30.2001, 121.2199, 30.2199), "wgs84", "gcj02")
    # In GCJ-02 the area looks ~500 m off; converted, it lies inside 东门1.
    team_member_add(team=town.dongmen1_work, name="陈明", area=area, area_crs="gcj02")
    with pytest.raises(ValidationError) as exc:
        team_member_add(team=town.dongmen1_work, name="陈明", area=area)
    assert "outside 东门社区第1微网格" in exc.value.message_dict["area"][0]


def test_it_names_every_bad_field_of_a_member(town):
    with pytest.raises(ValidationError) as exc:
        team_member_add(team=town.dongmen1_work, name="", phone="110", duty_tags=["厨师"])
    errors = exc.value.message_dict
    assert set(errors) == {"phone", "duty_tags", "name"}
    assert "Unknown duty tag 厨师" in errors["duty_tags"][0]


def test_it_updates_a_member_checking_the_phone(town):
    member = town.dongmen1_member_row
    team_member_update(member=member, phone="13900009999", on_duty=False)
    member.refresh_from_db()
    assert (member.phone, member.on_duty) == ("13900009999", False)
    with pytest.raises(ValidationError) as exc:
        team_member_update(member=member, phone="12")
    assert "phone" in exc.value.message_dict


def test_it_places_a_service_point_given_in_baidu_coordinates(town):
    lon, lat = coords.wgs84_to_bd09(121.215, 30.215)
    point = service_point_create(
        grid=town.dongmen, name="东门第二服务点", lon=lon, lat=lat, crs="bd09",
        micro_grids=[town.dongmen1],
    )  # fmt: skip
    assert (point.lon, point.lat) == pytest.approx((121.215, 30.215), abs=1e-8)


def test_it_refuses_a_service_point_serving_another_villages_micro_grid(town):
    with pytest.raises(ValidationError) as exc:
        service_point_create(
            grid=town.dongmen, name="越界", lon=121.21, lat=30.21, micro_grids=[town.ximen1]
        )
    assert "is not a micro-grid of 东门社区" in exc.value.message_dict["micro_grids"][0]
    with pytest.raises(ValidationError, match="outside 东门社区"):
        service_point_update(point=town.service_point, lon=121.23)


def test_it_keeps_departments_at_the_town(town):
    assert department_create(grid=town.town, code="PCS", name="派出所").grid == town.town
    with pytest.raises(ValidationError, match="belongs to a town"):
        department_create(grid=town.dongmen, code="X", name="村里部门")


def test_it_renames_a_grid_and_locate_answers_with_the_new_name(
    town, django_capture_on_commit_callbacks
):
    assert locate(121.21, 30.21).name == "东门社区第1微网格"
    with django_capture_on_commit_callbacks(execute=True):
        grid_node_update(node=town.dongmen1, name="东门一格")
    assert locate(121.21, 30.21).name == "东门一格"

"""The demo town: the size and shape of the source town, real-looking and checkable data, the
same town for the same seed, and a command that never overwrites a real database."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError

from yemai.accounts.models import User
from yemai.core.demo.logins import DEMO_PASSWORD
from yemai.core.demo.plan import plan_town
from yemai.core.demo.population import REFERENCE_DATE
from yemai.core.validators import check_credit_code, normalize_mobile, parse_id_number
from yemai.grids.choices import Level, TeamKind
from yemai.grids.locator import locate
from yemai.grids.models import GridNode, ServicePoint, Team, TeamMember
from yemai.people.models import House, Resident, Tag
from yemai.people.services import id_number_hash
from yemai.vision.models import Camera


@pytest.fixture(scope="module")
def plan():
    return plan_town(seed=1, scale=1.0)


def age(person) -> int:
    return (REFERENCE_DATE - person.birth_date).days // 365


def test_it_plans_a_town_the_size_of_the_source(plan):
    assert len(plan.villages) == 45
    assert len(plan.micro_grids) == 172
    assert len(plan.cameras) == 1150
    assert 59_000 <= len(plan.people) <= 61_500
    kinds = Counter(v.village_kind for v in plan.villages)
    assert kinds["community"] >= 10 and kinds["village"] >= 25
    # Urban communities are smaller and hold more micro-grids per km² than villages.
    per_km2 = {
        kind: sum(
            len([m for m in plan.micro_grids if m.parent == v.code]) / (v.metres.area / 1e6)
            for v in plan.villages
            if v.village_kind == kind
        )
        / kinds[kind]
        for kind in kinds
    }
    assert per_km2["community"] > 2 * per_km2["village"]


def test_its_codes_and_names_follow_the_national_pattern(plan):
    assert re.fullmatch(r"330282\d{3}", plan.town.code)
    for village in plan.villages:
        assert re.fullmatch(re.escape(plan.town.code) + r"\d{3}", village.code)
        assert village.name.endswith("社区" if village.village_kind == "community" else "村")
    for micro in plan.micro_grids:
        assert re.fullmatch(re.escape(micro.parent) + r"\d{3}", micro.code)
        assert re.fullmatch(r".+(社区|村)第\d+微网格", micro.name)
    codes = [g.code for g in plan.villages + plan.micro_grids]
    assert len(codes) == len(set(codes))


def test_its_grids_tile_the_town_with_no_overlap_and_no_gap(plan):
    town = plan.town.metres.area
    villages = [v.metres for v in plan.villages]
    micros = [m.metres for m in plan.micro_grids]
    for level in (villages, micros):
        assert sum(g.area for g in level) == pytest.approx(town, rel=1e-9)  # no overlap
        assert shapely.union_all(level).area == pytest.approx(town, rel=1e-9)  # no gap
    for micro in plan.micro_grids:
        village = next(v for v in plan.villages if v.code == micro.parent)
        assert micro.metres.difference(village.metres).area < 1e-6
    minx, miny, maxx, maxy = plan.town.metres.bounds
    assert 12_000 < maxx - minx < 16_000 and 8_500 < maxy - miny < 11_500
    lon, lat = plan.town.boundary.centroid.coords[0]
    assert abs(lon - 121.25) < 0.02 and abs(lat - 30.17) < 0.02


def test_the_same_seed_gives_the_same_town():
    a, b = plan_town(seed=7, scale=0.1), plan_town(seed=7, scale=0.1)
    other = plan_town(seed=8, scale=0.1)
    assert [g.code for g in a.micro_grids] == [g.code for g in b.micro_grids]
    assert [g.name for g in a.villages + a.micro_grids] == [
        g.name for g in b.villages + b.micro_grids
    ]
    assert [p.id_number for p in a.people] == [p.id_number for p in b.people]
    assert [(p.name, p.phone) for p in a.people] == [(p.name, p.phone) for p in b.people]
    assert [c.name for c in a.cameras] == [c.name for c in b.cameras]
    assert all(
        x.boundary.equals_exact(y.boundary, 0)
        for x, y in zip(a.micro_grids, b.micro_grids, strict=True)
    )
    assert [p.id_number for p in a.people] != [p.id_number for p in other.people]


def test_every_id_number_passes_gb_11643_and_agrees_with_the_person(plan):
    numbers = [p.id_number for p in plan.people]
    assert len(set(numbers)) == len(numbers)
    for person in plan.people:
        info = parse_id_number(person.id_number)
        assert info.sex == person.sex and info.birth_date == person.birth_date
        assert (info.area_code == "330282") == (person.registration == "household")


def test_its_age_pyramid_looks_like_a_zhejiang_town(plan):
    ages = [age(p) for p in plan.people]
    share = lambda lo, hi: sum(lo <= a <= hi for a in ages) / len(ages)  # noqa: E731
    assert 0.15 < share(60, 120) < 0.30  # an ageing town
    assert 0.03 < share(80, 120) < 0.10
    assert 0.10 < share(0, 14) < 0.22
    assert 0.45 < share(15, 59) < 0.70
    assert max(ages) >= 95


def test_phones_credit_codes_and_camera_codes_pass_their_checks(plan):
    phones = [p.phone for p in plan.people if p.phone] + [m.phone for m in plan.members]
    assert all(normalize_mobile(p) == p for p in phones)
    assert all(check_credit_code(o.code) == o.code for o in plan.organisations)
    assert {o.kind for o in plan.organisations} == {"shop", "enterprise", "internet_cafe"}
    assert all(re.fullmatch(r"\d{20}", c.code) for c in plan.cameras)
    assert len({c.code for c in plan.cameras}) == len(plan.cameras)
    assert any("交叉口" in c.name for c in plan.cameras)


def test_care_tags_follow_the_household_and_a_few_are_restricted(plan):
    sizes = Counter(p.household for p in plan.people)
    alone = [p for p in plan.people if "独居老人" in p.tags]
    assert len(alone) > 500
    assert all(sizes[p.household] == 1 and age(p) >= 65 for p in alone)
    tags = Counter(t for p in plan.people for t in p.tags)
    assert tags["低保"] > 100 and tags["残疾"] > 100
    assert 1 <= tags["社区矫正"] < 100


def test_migrants_rent_from_registered_neighbours(plan):
    migrants = [p for p in plan.people if p.registration == "migrant"]
    assert 0.15 < len(migrants) / len(plan.people) < 0.40
    assert all(plan.houses[p.house].use == "rented" for p in migrants)
    for house in plan.houses:
        if house.use == "rented" and house.landlord >= 0:
            landlord = plan.people[house.landlord]
            assert landlord.registration == "household" and landlord.grid_code == house.grid_code
    assert Counter(h.use for h in plan.houses)["vacant"] > 0
    assert re.fullmatch(r".+路\d+号\d+幢\d+室", plan.houses[0].address)


def test_each_micro_grid_has_three_teams_led_by_its_leader(plan):
    for micro in plan.micro_grids[:20]:
        members = [m for m in plan.members if m.grid_code == micro.code]
        assert {m.team for m in members} == set(TeamKind.values)
        leaders = [m for m in members if m.is_leader]
        assert len(leaders) == 1 and leaders[0].team == "management"
        assert set(leaders[0].duty_tags) == {"信息员", "宣传员", "协调员", "监督员"}


# --- the command, on a small town -------------------------------------------------------


def run_demo(*args) -> str:
    out = io.StringIO()
    call_command("demo", *args, "--scale", "0.02", "-v", "0", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_loads_a_small_town_with_one_login_per_role(settings, client):
    settings.DEMO = True
    output = run_demo("--seed", "3")
    micro_grids = GridNode.objects.filter(level=Level.MICRO)
    assert micro_grids.count() == 4 and GridNode.objects.filter(level=Level.VILLAGE).count() == 2
    assert Team.objects.count() == 3 * micro_grids.count()
    for camera in Camera.objects.select_related("grid"):
        assert locate(camera.lon, camera.lat, nearest_m=0).code == camera.grid.code
    for house in House.objects.select_related("grid")[:100]:
        assert locate(house.lon, house.lat, nearest_m=0).code == house.grid.code
    assert ServicePoint.objects.first().micro_grids.exists()
    resident = Resident.objects.filter(registration="household").first()
    assert parse_id_number(resident.id_number).area_code == "330282"  # decrypts
    assert Resident.objects.get(id_number_hash=id_number_hash(resident.id_number)) == resident
    assert Tag.objects.filter(name="社区矫正", residents__isnull=False).exists()

    for username in [
        "town_head",
        "operator",
        "village_head",
        "micro_leader",
        "member",
        "department",
        "auditor",
        "admin",
    ]:
        assert username in output
        assert client.login(username=username, password=DEMO_PASSWORD), username
    assert DEMO_PASSWORD in output
    leader = User.objects.get(username="micro_leader")
    row = TeamMember.objects.get(user=leader)
    assert row.is_leader and row.team.kind == TeamKind.MANAGEMENT and row.team.grid == leader.scope
    assert User.objects.get(username="admin").is_unrestricted
    assert User.objects.get(username="department").department.name == "城管中队"
    assert "generated in" in output


@pytest.mark.django_db
def test_it_creates_no_login_outside_the_demo(settings):
    settings.DEMO = False
    output = run_demo()
    assert GridNode.objects.filter(level=Level.MICRO).exists()
    assert not User.objects.exists()
    assert "YEMAI_DEMO=1" in output


def test_it_refuses_a_database_that_already_has_grids(town, settings):
    settings.DEMO = True
    with pytest.raises(CommandError, match="already has grids"):
        run_demo()
    assert GridNode.objects.get(code="330282001").name == "宗汉街道"


def test_reset_is_refused_outside_the_demo(town, settings):
    settings.DEMO = False
    with pytest.raises(CommandError, match="YEMAI_DEMO=1"):
        run_demo("--reset")
    assert Resident.objects.filter(name="张三").exists()


def test_reset_replaces_everything_in_a_demo_database(town, settings):
    settings.DEMO = True
    run_demo("--reset")
    assert not GridNode.objects.filter(name="宗汉街道").exists()
    assert not Resident.objects.filter(name="张三").exists()
    assert not User.objects.filter(username="dongmen1_member").exists()
    assert Tag.objects.filter(name="独居老人").exists()  # reference data stays
    assert User.objects.filter(username="town_head", scope__name="叶脉街道").exists()


@pytest.mark.django_db
def test_the_demo_has_cases_at_every_step_and_the_member_has_work(settings):
    from yemai.cases.choices import State
    from yemai.cases.models import Case, Category, Rating

    settings.DEMO = True
    run_demo("--seed", "2")
    states = set(Case.objects.values_list("state", flat=True))
    assert {State.CLOSED, State.DISPATCHED, State.REJECTED} <= states
    assert len(states) >= 6  # the loop's steps, not only the two ends
    # every case went through intake: located to a micro-grid and numbered, with its history
    assert not Case.objects.filter(events__isnull=True).exists()
    member = User.objects.get(username="member")
    mine = Case.objects.filter(assignee=member)
    assert mine.filter(state__in=[State.DISPATCHED, State.ACCEPTED, State.HANDLING]).exists() or (
        mine.exclude(state=State.CLOSED).exists()
    )
    assert Rating.objects.filter(score__gte=1).exists()
    # the centre routes 联动 to departments: the taxonomy knows the demo town's departments
    assert Category.objects.filter(department__isnull=False).exists()


@pytest.mark.django_db
def test_reset_keeps_the_taxonomy(settings):
    from yemai.cases.models import Category

    settings.DEMO = True
    run_demo("--seed", "2")
    before = Category.objects.count()
    run_demo("--reset", "--seed", "3")
    assert Category.objects.count() == before > 0

"""The grid API, each endpoint three ways: signed out (401), allowed (200), out of scope (404)."""

import json

import pytest
from django.test import Client

from tests.factories import make_user
from yemai.accounts.roles import Role
from yemai.core.models import AuditEvent
from yemai.grids import coords
from yemai.grids.models import GridNode, ServicePoint, TeamMember

from .conftest import geojson_bytes

DONGMEN1, XIMEN1 = "330282001001001", "330282001002001"


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def urls(town):
    team = town.dongmen1_work
    return {
        "list": "/api/grids/",
        "tree": "/api/grids/tree",
        "detail": f"/api/grids/nodes/{DONGMEN1}",
        "export": f"/api/grids/export.geojson?root={town.dongmen.code}",
        "export_zip": f"/api/grids/export.zip?root={town.dongmen.code}",
        "locate": "/api/grids/locate?lon=121.21&lat=30.21",
        "teams": "/api/grids/teams",
        "team": f"/api/grids/teams/{team.pk}",
        "points": "/api/grids/service-points",
        "point": f"/api/grids/service-points/{town.service_point.pk}",
        "departments": "/api/grids/departments",
        "department": f"/api/grids/departments/{town.chengguan.pk}",
    }


@pytest.mark.parametrize(
    "name",
    ["list", "tree", "detail", "export", "export_zip", "locate", "teams", "team", "points",
     "point", "departments", "department"],
)  # fmt: skip
def test_it_asks_a_signed_out_visitor_to_sign_in(urls, name):
    assert client_for().get(urls[name]).status_code == 401


@pytest.mark.parametrize(
    "method,url",
    [
        ("post", "/api/grids/locate"),
        ("post", "/api/grids/import"),
        ("post", "/api/grids/team-members/1/reveal"),
        ("post", "/api/grids/teams/1/members"),
        ("post", "/api/grids/service-points"),
        ("post", "/api/grids/departments"),
    ],
)
def test_it_refuses_every_write_to_a_signed_out_visitor(town, method, url):
    response = getattr(client_for(), method)(url, data="[]", content_type="application/json")
    assert response.status_code == 401


# --- the grid ------------------------------------------------------------------------------


def test_it_lists_only_the_grids_in_scope(town):
    codes = [g["code"] for g in client_for(town.dongmen_head).get("/api/grids/").json()]
    assert codes == ["330282001001", DONGMEN1, "330282001001002"]
    micro = client_for(town.town_head).get("/api/grids/?level=micro").json()
    assert [g["code"] for g in micro] == [DONGMEN1, "330282001001002", XIMEN1, "330282001002002"]
    children = client_for(town.town_head).get("/api/grids/?parent=330282001002").json()
    assert [g["parent"] for g in children] == ["330282001002"] * 2


def test_it_answers_404_for_a_parent_outside_the_scope(town):
    assert client_for(town.dongmen_head).get("/api/grids/?parent=330282001002").status_code == 404


def test_it_shows_the_tree_from_the_scope_down(town):
    tree = client_for(town.ximen_head).get("/api/grids/tree").json()
    assert len(tree) == 1 and tree[0]["code"] == "330282001002"
    assert [c["code"] for c in tree[0]["children"]] == [XIMEN1, "330282001002002"]
    full = client_for(town.town_head).get("/api/grids/tree").json()
    assert [v["code"] for v in full[0]["children"]] == ["330282001001", "330282001002"]


def test_it_shows_a_grid_with_its_boundary_as_geojson(town):
    body = client_for(town.dongmen1_member).get(f"/api/grids/nodes/{DONGMEN1}").json()
    assert body["name"] == "东门社区第1微网格"
    assert body["boundary"]["type"] == "Polygon"
    assert body["bbox"] == pytest.approx([121.20, 30.20, 121.22, 30.22])


def test_it_hides_a_grid_of_another_village_or_micro_grid(town):
    assert client_for(town.dongmen_head).get(f"/api/grids/nodes/{XIMEN1}").status_code == 404
    assert (
        client_for(town.dongmen1_member).get("/api/grids/nodes/330282001001002").status_code == 404
    )
    assert client_for(town.dongmen1_member).get("/api/grids/nodes/999").status_code == 404


def test_it_exports_the_boundaries_of_a_subtree(town, urls):
    response = client_for(town.dongmen_head).get(urls["export"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    doc = json.loads(response.content)
    assert [f["properties"]["code"] for f in doc["features"]] == [
        "330282001001",
        DONGMEN1,
        "330282001001002",
    ]
    whole_scope = json.loads(client_for(town.dongmen_head).get("/api/grids/export.geojson").content)
    assert len(whole_scope["features"]) == 3
    zipped = client_for(town.dongmen_head).get(urls["export_zip"])
    assert zipped.status_code == 200 and zipped.content[:2] == b"PK"


def test_it_refuses_to_export_another_village(town):
    client = client_for(town.ximen_head)
    assert client.get("/api/grids/export.geojson?root=330282001001").status_code == 404
    assert client.get("/api/grids/export.zip?root=330282001001").status_code == 404
    town_wide = json.loads(client.get("/api/grids/export.geojson").content)
    assert all(f["properties"]["code"].startswith("330282001002") for f in town_wide["features"])


# --- import --------------------------------------------------------------------------------


def _upload(client, data: bytes, **form):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("grids.geojson", data, content_type="application/geo+json")
    return client.post("/api/grids/import", {"file": upload, **form})


def test_it_imports_boundaries_for_a_grid_manager(town):
    rows = [("330282001001001", "东门一格", town.dongmen1.geometry)]
    gcj = [(c, n, coords.transform_geometry(g, "wgs84", "gcj02")) for c, n, g in rows]
    response = _upload(client_for(town.operator), geojson_bytes(gcj), crs="gcj02")
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == [DONGMEN1]
    assert GridNode.objects.get(code=DONGMEN1).name == "东门一格"


def test_it_refuses_imports_from_roles_that_may_not_manage_grids(town):
    data = geojson_bytes([(DONGMEN1, "东门一格", town.dongmen1.geometry)])
    assert _upload(client_for(town.dongmen_head), data).status_code == 403
    assert GridNode.objects.get(code=DONGMEN1).name == "东门社区第1微网格"


def test_it_refuses_an_import_reaching_outside_the_scope_and_lists_why(town):
    manager = make_user("dongmen_admin", Role.SYSTEM_ADMIN, town.dongmen)
    data = geojson_bytes([(XIMEN1, "西门一格", town.ximen1.geometry)])
    response = _upload(client_for(manager), data)
    assert response.status_code == 400
    assert response.json()["errors"]["file"] == [
        f"Feature 1 ({XIMEN1}): grid {XIMEN1} is outside your scope"
    ]
    assert GridNode.objects.get(code=XIMEN1).name == "西门村第1微网格"


def test_it_answers_a_bad_file_with_400_naming_the_feature(town):
    response = _upload(client_for(town.operator), geojson_bytes([(DONGMEN1, "", None)]))
    assert response.status_code == 400
    errors = response.json()["errors"]["file"]
    assert any("Feature 1 (330282001001001): it has no name" in e for e in errors)


# --- locate --------------------------------------------------------------------------------


def test_it_locates_a_point_for_a_user_in_scope(town):
    body = client_for(town.dongmen1_member).get("/api/grids/locate?lon=121.21&lat=30.21").json()
    assert body["grid"] == {"code": DONGMEN1, "name": "东门社区第1微网格", "distance_m": 0.0}


def test_it_converts_a_gcj02_point_before_locating(town):
    lon, lat = coords.wgs84_to_gcj02(121.2005, 30.2005)  # 东门1, ~50 m from its corner
    url = f"/api/grids/locate?lon={lon}&lat={lat}&crs=gcj02"
    assert client_for(town.town_head).get(url).json()["grid"]["code"] == DONGMEN1


def test_it_does_not_name_a_grid_outside_the_scope(town):
    body = client_for(town.dongmen_head).get("/api/grids/locate?lon=121.23&lat=30.21").json()
    assert body["grid"] is None


def test_it_refuses_coordinates_that_are_not_numbers_in_range(town):
    client = client_for(town.town_head)
    assert client.get("/api/grids/locate?lon=abc&lat=30.2").status_code == 400
    assert client.get("/api/grids/locate?lon=200&lat=30.2").status_code == 400
    assert client.get("/api/grids/locate?lon=121.2&lat=30.2&crs=utm").status_code == 400


def test_it_locates_a_batch_and_nulls_what_is_outside_the_scope(town):
    points = [{"lon": 121.21, "lat": 30.21}, {"lon": 121.23, "lat": 30.21}, {"lon": 125, "lat": 30}]
    payload = json.dumps(points)
    town_wide = client_for(town.town_head).post("/api/grids/locate", payload, "application/json")
    assert [r and r["code"] for r in town_wide.json()] == [DONGMEN1, XIMEN1, None]
    village = client_for(town.dongmen_head).post("/api/grids/locate", payload, "application/json")
    assert [r and r["code"] for r in village.json()] == [DONGMEN1, None, None]


def test_it_refuses_a_batch_over_ten_thousand_points(town):
    payload = json.dumps([{"lon": 121.21, "lat": 30.21}] * 10_001)
    response = client_for(town.town_head).post("/api/grids/locate", payload, "application/json")
    assert response.status_code == 400
    assert "10000" in json.dumps(response.json())


# --- teams ---------------------------------------------------------------------------------


def test_it_lists_teams_with_masked_phones_even_for_a_role_that_may_reveal(town):
    teams = client_for(town.town_head).get(f"/api/grids/teams?grid={DONGMEN1}").json()
    assert [t["kind"] for t in teams] == ["management", "volunteer", "work"]
    work = next(t for t in teams if t["kind"] == "work")
    assert work["members"][0]["phone"] == "138****1111"
    assert "13800001111" not in json.dumps(teams)


def test_it_shows_a_team_in_scope_and_hides_one_outside(town):
    team = town.dongmen1_work
    assert client_for(town.dongmen1_member).get(f"/api/grids/teams/{team.pk}").status_code == 200
    assert client_for(town.dongmen2_member).get(f"/api/grids/teams/{team.pk}").status_code == 404
    assert client_for(town.ximen_head).get(f"/api/grids/teams?grid={DONGMEN1}").status_code == 404
    ximen = client_for(town.ximen_head).get("/api/grids/teams").json()
    assert {t["grid"] for t in ximen} == {XIMEN1, "330282001002002"}


def test_it_reveals_a_whole_phone_only_through_the_audited_endpoint(town):
    member = town.dongmen1_member_row
    url = f"/api/grids/team-members/{member.pk}/reveal"
    response = client_for(town.dongmen_head).post(url)
    assert response.status_code == 200
    assert response.json()["phone"] == "13800001111"
    event = AuditEvent.objects.get(kind="view_pii")
    assert (event.username, event.object_id) == ("dongmen_head", str(member.pk))


def test_it_refuses_a_reveal_to_a_member_and_to_another_village(town):
    url = f"/api/grids/team-members/{town.dongmen1_member_row.pk}/reveal"
    assert client_for(town.dongmen1_leader).post(url).status_code == 403
    assert client_for(town.ximen_head).post(url).status_code == 404
    assert not AuditEvent.objects.filter(kind="view_pii").exists()


def test_it_adds_a_team_member_with_a_checked_phone(town):
    url = f"/api/grids/teams/{town.dongmen1_work.pk}/members"
    payload = {"name": "陈明", "phone": "+86 139-0000-3333", "duty_tags": ["协调员"]}
    response = client_for(town.operator).post(url, payload, "application/json")
    assert response.status_code == 201
    assert response.json()["phone"] == "139****3333"
    assert TeamMember.objects.get(name="陈明").phone == "13900003333"


def test_it_refuses_a_bad_phone_and_an_area_outside_the_micro_grid(town):
    url = f"/api/grids/teams/{town.dongmen1_work.pk}/members"
    area = {"type": "Polygon", "coordinates": [[[121.21, 30.21], [121.23, 30.21], [121.23, 30.215], [121.21, 30.21]]]}  # fmt: skip
    payload = {"name": "陈明", "phone": "12345", "area": area}
    response = client_for(town.operator).post(url, payload, "application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "mainland mobile" in errors["phone"][0]
    assert "outside 东门社区第1微网格" in errors["area"][0]
    assert not TeamMember.objects.filter(name="陈明").exists()


def test_it_refuses_adding_members_without_the_right_or_the_scope(town):
    url = f"/api/grids/teams/{town.dongmen1_work.pk}/members"
    payload = json.dumps({"name": "陈明"})
    assert (
        client_for(town.dongmen1_leader).post(url, payload, "application/json").status_code == 403
    )
    manager = make_user("ximen_admin", Role.SYSTEM_ADMIN, town.ximen)
    assert client_for(manager).post(url, payload, "application/json").status_code == 404


# --- service points and departments --------------------------------------------------------


def test_it_shows_a_member_the_service_point_serving_their_micro_grid(town):
    points = client_for(town.dongmen1_member).get("/api/grids/service-points").json()
    assert [p["name"] for p in points] == ["东门社区党群服务点"]
    assert [g["code"] for g in points[0]["micro_grids"]] == [DONGMEN1, "330282001001002"]
    url = f"/api/grids/service-points/{town.service_point.pk}"
    assert client_for(town.dongmen1_member).get(url).status_code == 200


def test_it_hides_the_service_point_of_another_village(town):
    url = f"/api/grids/service-points/{town.ximen_point.pk}"
    assert client_for(town.dongmen_head).get(url).status_code == 404
    assert client_for(town.dongmen1_member).get(url).status_code == 404


def test_it_creates_a_service_point_inside_its_village(town):
    payload = {"grid": "330282001002", "name": "西门村第二服务点", "lon": 121.23, "lat": 30.23,
               "micro_grids": ["330282001002002"]}  # fmt: skip
    response = client_for(town.operator).post(
        "/api/grids/service-points", payload, "application/json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["micro_grids"] == [
        {"code": "330282001002002", "name": "西门村第2微网格"}
    ]


def test_it_refuses_a_service_point_outside_its_village(town):
    payload = {"grid": "330282001002", "name": "错位服务点", "lon": 121.21, "lat": 30.23}
    response = client_for(town.operator).post(
        "/api/grids/service-points", payload, "application/json"
    )
    assert response.status_code == 400
    assert "outside 西门村" in response.json()["errors"]["location"][0]
    assert not ServicePoint.objects.filter(name="错位服务点").exists()
    dongmen_admin = make_user("dongmen_admin", Role.SYSTEM_ADMIN, town.dongmen)
    out = client_for(dongmen_admin).post("/api/grids/service-points", payload, "application/json")
    assert out.status_code == 404


def test_it_lists_departments_in_scope(town):
    assert [d["name"] for d in client_for(town.operator).get("/api/grids/departments").json()] == [
        "城管中队"
    ]
    url = f"/api/grids/departments/{town.chengguan.pk}"
    assert client_for(town.operator).get(url).status_code == 200
    # Departments belong to the town: a village's users do not see them.
    assert client_for(town.dongmen_head).get(url).status_code == 404


def test_it_creates_a_department_for_a_manager_only(town):
    payload = json.dumps({"grid": "330282001", "code": "SCJG", "name": "市场监管所"})
    assert (
        client_for(town.town_head)
        .post("/api/grids/departments", payload, "application/json")
        .status_code
        == 201
    )
    assert (
        client_for(town.dongmen_head)
        .post("/api/grids/departments", payload, "application/json")
        .status_code
        == 404
    )
    assert (
        client_for(town.auditor)
        .post("/api/grids/departments", payload, "application/json")
        .status_code
        == 403
    )

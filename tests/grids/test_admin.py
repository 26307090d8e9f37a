"""The grid admin, three ways: signed out, allowed, outside the scope."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import make_user
from yemai.accounts.roles import Role
from yemai.grids.models import GridNode

from .conftest import NEW_TOWN, geojson_bytes


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_it_sends_a_signed_out_visitor_to_the_login(town):
    response = client_for().get("/admin/grids/gridnode/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_it_lists_only_the_grids_in_scope_with_their_areas(town):
    page = client_for(town.dongmen_head).get("/admin/grids/gridnode/").content.decode()
    assert "330282001001001" in page and "东门社区" in page
    assert "330282001002001" not in page
    assert "4,274,043" in page  # 东门1: 1,922 m × 2,224 m


def test_it_shows_the_boundary_as_read_only_geojson(town):
    url = f"/admin/grids/gridnode/{town.dongmen1.pk}/change/"
    page = client_for(town.operator).get(url).content.decode()
    assert "&quot;Polygon&quot;" in page or '"Polygon"' in page
    assert 'name="boundary"' not in page


def test_it_answers_404_for_a_grid_outside_the_scope(town):
    url = f"/admin/grids/gridnode/{town.ximen1.pk}/change/"
    assert client_for(town.dongmen_head).get(url).status_code == 404


def test_it_shows_team_member_phones_masked(town):
    page = client_for(town.town_head).get("/admin/grids/teammember/").content.decode()
    assert "138****1111" in page and "13800001111" not in page
    team = client_for(town.operator).get(f"/admin/grids/team/{town.dongmen1_work.pk}/change/")
    assert "138****1111" in team.content.decode()
    assert "13800001111" not in team.content.decode()


def test_it_hides_teams_and_service_points_of_another_village(town):
    client = client_for(town.ximen_head)
    assert client.get(f"/admin/grids/team/{town.dongmen1_work.pk}/change/").status_code == 404
    assert (
        client.get(f"/admin/grids/servicepoint/{town.service_point.pk}/change/").status_code == 404
    )
    assert "东门社区党群服务点" not in client.get("/admin/grids/servicepoint/").content.decode()


def test_it_refuses_a_new_grid_with_a_bad_code(town):
    response = client_for(town.operator).post(
        "/admin/grids/gridnode/add/",
        {"code": "330282009001", "name": "错村", "level": "village", "parent": town.town.pk},
    )
    assert response.status_code == 200
    assert "must begin with its parent&#x27;s code 330282001" in response.content.decode()
    assert not GridNode.objects.filter(code="330282009001").exists()


def test_it_uploads_boundaries_for_a_manager_only(db, town):
    upload = SimpleUploadedFile("x.geojson", geojson_bytes(NEW_TOWN))
    operator = client_for(town.operator)
    response = operator.post("/admin/grids/gridnode/upload/", {"file": upload, "crs": "wgs84"})
    # The operator is scoped to 宗汉街道: a new town is outside that scope.
    assert "only an unrestricted account may add a town" in response.content.decode()
    assert not GridNode.objects.filter(code="330282002").exists()
    denied = client_for(town.dongmen_head).get("/admin/grids/gridnode/upload/")
    assert denied.status_code == 302


def test_it_offers_only_accounts_of_the_scope_for_a_member(town):
    url = f"/admin/grids/teammember/{town.ximen1_member_row.pk}/change/"
    manager = make_user("ximen_admin", Role.SYSTEM_ADMIN, town.ximen)
    page = client_for(manager).get(url).content.decode()
    assert "ximen1_member" in page
    assert "dongmen1_member" not in page


def test_it_uploads_a_town_for_an_unrestricted_account(db, town):
    from yemai.accounts.models import User

    root = User.objects.create_superuser("root", password="x-Yemai-2026")
    upload = SimpleUploadedFile("x.geojson", geojson_bytes(NEW_TOWN))
    response = client_for(root).post(
        "/admin/grids/gridnode/upload/", {"file": upload, "crs": "wgs84"}
    )
    assert "7 created, 0 updated, 0 unchanged" in response.content.decode()
    assert GridNode.objects.filter(code__startswith="330282002").count() == 7

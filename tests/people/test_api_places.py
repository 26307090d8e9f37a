import io
import json

import pytest
from openpyxl import load_workbook

from yemai.core.models import AuditEvent
from yemai.people import services
from yemai.people.models import House, Household, Organisation

pytestmark = pytest.mark.django_db


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def places(town):
    house = services.house_create(
        code="DM-1", address="东门路12号", lon=121.21, lat=30.21, landlord=town.resident_dongmen1
    )
    household = services.household_create(number="H-1", house=house)
    org = services.organisation_create(
        name="东门网吧", kind="internet_cafe", lon=121.21, lat=30.21, contact_phone="13811112222"
    )
    return house, household, org


# --- houses --------------------------------------------------------------------------------


def test_house_list_three_ways(client, client_as, town, places):
    assert client.get("/api/people/houses").status_code == 401
    body = client_as(town.dongmen1_member).get("/api/people/houses").json()
    assert body["count"] == 1
    assert body["items"][0]["address"] == "东门路**号"
    assert body["items"][0]["landlord_name"] == "张三"
    assert client_as(town.ximen1_member).get("/api/people/houses").json()["count"] == 0


def test_house_detail_three_ways(client, client_as, town, places):
    url = f"/api/people/houses/{places[0].pk}"
    assert client.get(url).status_code == 401
    assert client_as(town.dongmen1_member).get(url).json()["grid"] == "330282001001001"
    assert client_as(town.dongmen2_member).get(url).status_code == 404


def test_house_create_locates_it_and_checks_the_scope(client, client_as, town):
    data = {"code": "DM-2", "address": "东门路20号", "lon": 121.21, "lat": 30.23, "use": "rented"}
    assert _post(client, "/api/people/houses", data).status_code == 401
    assert _post(client_as(town.dongmen1_member), "/api/people/houses", data).status_code == 403
    outside = _post(client_as(town.ximen_head), "/api/people/houses", data)
    assert outside.status_code == 400 and "grid" in outside.json()["errors"]
    created = _post(client_as(town.dongmen_head), "/api/people/houses", data)
    assert created.status_code == 201
    assert created.json()["grid"] == "330282001001002"
    assert created.json()["address"] == "东门路**号"


def test_house_update_and_delete_three_ways(client, client_as, town, places):
    url = f"/api/people/houses/{places[0].pk}"
    assert _patch(client, url, {"use": "vacant"}).status_code == 401
    assert _patch(client_as(town.dongmen1_member), url, {"use": "vacant"}).status_code == 403
    assert _patch(client_as(town.ximen_head), url, {"use": "vacant"}).status_code == 404
    assert _patch(client_as(town.dongmen_head), url, {"use": "vacant"}).json()["use"] == "vacant"
    bad = _patch(client_as(town.dongmen_head), url, {"use": "party"})
    assert bad.status_code == 400 and "use" in bad.json()["errors"]
    assert client_as(town.ximen_head).delete(url).status_code == 404
    assert client_as(town.dongmen_head).delete(url).status_code == 204
    assert not House.objects.exists()


def test_house_reveal_is_audited(client_as, town, places):
    url = f"/api/people/houses/{places[0].pk}/reveal"
    assert client_as(town.dongmen1_member).get(url).status_code == 403
    assert client_as(town.ximen_head).get(url).status_code == 404
    assert client_as(town.dongmen_head).get(url).json()["address"] == "东门路12号"
    assert AuditEvent.objects.get(kind="view_pii").detail == {"fields": ["address"]}


# --- households ----------------------------------------------------------------------------


def test_household_endpoints_three_ways(client, client_as, town, places):
    url = f"/api/people/households/{places[1].pk}"
    assert client.get("/api/people/households").status_code == 401
    assert client_as(town.dongmen1_member).get("/api/people/households").json()["count"] == 1
    assert client_as(town.ximen_head).get(url).status_code == 404
    assert client_as(town.dongmen1_member).get(url).json()["house"] == "DM-1"
    data = {"number": "H-2", "grid": "330282001001002"}
    assert _post(client_as(town.dongmen1_member), "/api/people/households", data).status_code == 403
    assert _post(client_as(town.ximen_head), "/api/people/households", data).status_code == 400
    assert _post(client_as(town.dongmen_head), "/api/people/households", data).status_code == 201
    patched = _patch(client_as(town.dongmen_head), url, {"number": "H-1A"})
    assert patched.json()["number"] == "H-1A"
    assert client_as(town.dongmen_head).delete(url).status_code == 204
    assert list(Household.objects.values_list("number", flat=True)) == ["H-2"]


# --- organisations -------------------------------------------------------------------------


def test_organisation_endpoints_three_ways(client, client_as, town, places):
    org = places[2]
    url = f"/api/people/organisations/{org.pk}"
    assert client.get("/api/people/organisations").status_code == 401
    listed = client_as(town.dongmen1_member).get(
        "/api/people/organisations", {"kind": "internet_cafe"}
    )
    assert listed.json()["items"][0]["contact_phone"] == "138****2222"
    assert client_as(town.ximen1_member).get(url).status_code == 404
    data = {"name": "东门超市", "kind": "shop", "lon": 121.21, "lat": 30.21, "credit_code": "bad"}
    bad = _post(client_as(town.dongmen_head), "/api/people/organisations", data)
    assert bad.status_code == 400 and "credit_code" in bad.json()["errors"]
    data["credit_code"] = "91350100M000100Y43"
    assert _post(client_as(town.ximen_head), "/api/people/organisations", data).status_code == 400
    assert _post(client_as(town.dongmen_head), "/api/people/organisations", data).status_code == 201
    assert _patch(client_as(town.dongmen1_member), url, {"name": "x"}).status_code == 403
    assert _patch(client_as(town.dongmen_head), url, {"name": "东门网吧二店"}).status_code == 200
    assert client_as(town.dongmen1_member).get(f"{url}/reveal").status_code == 403
    assert (
        client_as(town.dongmen_head).get(f"{url}/reveal").json()["contact_phone"] == "13811112222"
    )
    assert client_as(town.dongmen_head).delete(url).status_code == 204
    assert Organisation.objects.count() == 1


def test_a_landlord_under_a_restricted_tag_stays_hidden_on_houses(client_as, town):
    from yemai.people.exporters import export_xlsx

    house = services.house_create(
        code="DM-7",
        address="东门路7号",
        grid_code=town.dongmen1.code,
        landlord=town.restricted_dongmen1,
    )
    client = client_as(town.dongmen_head)
    listed = client.get("/api/people/houses").json()["items"][0]
    assert listed["landlord_name"] is None and listed["landlord_id"] is None
    assert client.get(f"/api/people/houses/{house.pk}").json()["landlord_name"] is None
    assert "钱七" not in client.get("/admin/people/house/").content.decode()
    member_page = client_as(town.dongmen1_member).get(f"/admin/people/house/{house.pk}/change/")
    assert "钱七" not in member_page.content.decode()
    sheet = load_workbook(
        io.BytesIO(export_xlsx(kind="houses", user=town.dongmen_head).content)
    ).active
    assert "钱七" not in [c.value for row in sheet.iter_rows() for c in row]
    # Saving the house from the admin keeps the landlord the editor cannot see.
    response = client_as(town.dongmen_head).post(
        f"/admin/people/house/{house.pk}/change/",
        {
            "code": "DM-7",
            "address_new": "",
            "lon": "",
            "lat": "",
            "grid": town.dongmen1.pk,
            "use": "own",
            "landlord": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    house.refresh_from_db()
    assert house.landlord == town.restricted_dongmen1
    town.town_head.granted_tags = ["社区矫正"]
    town.town_head.save()
    assert (
        client_as(town.town_head).get(f"/api/people/houses/{house.pk}").json()["landlord_name"]
        == "钱七"
    )

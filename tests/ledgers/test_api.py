"""The ledgers API: writes checked like the file import, scoped, masked, audited."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_id_number
from yemai.core.models import AuditEvent
from yemai.ledgers import models

J = {"content_type": "application/json"}


def post(client, url, body):
    return client.post(url, data=json.dumps(body), **J)


def test_it_adds_an_activity_and_only_its_scope_sees_it(town, client):
    client.force_login(town.dongmen_head)
    response = post(client, "/api/ledgers/activities", {
        "type": "普法讲座", "title": "法律进社区", "date": "2026-03-05", "grid": town.dongmen1.code,
        "participants": 40, "brochures": "120",
    })  # fmt: skip
    assert response.status_code == 201, response.content
    row = response.json()
    assert (
        row["participants"] == 40 and row["brochures"] == 120 and row["grid"] == town.dongmen1.code
    )
    assert client.get("/api/ledgers/activities").json()["count"] == 1
    client.force_login(town.ximen_head)
    assert client.get("/api/ledgers/activities").json()["count"] == 0
    assert client.get(f"/api/ledgers/activities/{row['id']}").status_code == 404
    assert client.delete(f"/api/ledgers/activities/{row['id']}").status_code == 404


def test_it_refuses_bad_values_naming_each_field_and_stores_nothing(town, client):
    client.force_login(town.dongmen_head)
    response = post(client, "/api/ledgers/activities", {
        "type": "跳广场舞", "title": "", "date": "去年", "grid": town.ximen1.code, "participants": -3,
    })  # fmt: skip
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"type", "title", "date", "grid", "participants"}
    assert "普法讲座" in errors["type"][0]  # the known types are listed
    assert models.Activity.objects.count() == 0


def test_a_grid_member_may_read_but_not_write(town, client):
    client.force_login(town.dongmen1_member)
    response = post(
        client, "/api/ledgers/volunteer-teams", {"grid": town.dongmen1.code, "name": "队"}
    )
    assert response.status_code == 403
    assert client.get("/api/ledgers/volunteer-teams").status_code == 200


def test_id_numbers_are_masked_and_revealed_only_to_roles_that_may(town, client):
    client.force_login(town.dongmen_head)
    number = make_id_number(77)
    response = post(client, "/api/ledgers/welfare-households", {
        "grid": town.dongmen1.code, "kind": "低保", "head_name": "户主", "id_number": number,
        "monthly_amount": 800, "entered_on": "2026-01-10", "phone": "13812340000",
    })  # fmt: skip
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["id_number"] != number and row["id_number"].endswith(number[-4:])
    assert row["kind"] == "dibao"
    stored = models.WelfareHousehold.objects.get()
    assert stored.id_number == number
    assert number not in str(
        models.WelfareHousehold.objects.values_list("id_number", flat=True).query
    )
    revealed = client.post(f"/api/ledgers/welfare-households/{row['id']}/reveal").json()
    assert revealed["id_number"] == number
    assert AuditEvent.objects.filter(kind="view_pii", object_id=str(row["id"])).exists()
    client.force_login(town.dongmen1_leader)
    assert client.post(f"/api/ledgers/welfare-households/{row['id']}/reveal").status_code == 403


def test_a_bad_id_number_is_refused(town, client):
    client.force_login(town.dongmen_head)
    response = post(client, "/api/ledgers/relief-payments", {
        "grid": town.dongmen1.code, "name": "甲", "id_number": "330282198001010000",
        "date": "2026-02-01", "amount": 100, "reason": "因病",
    })  # fmt: skip
    assert response.status_code == 400
    assert "id_number" in response.json()["errors"]


def test_key_persons_petitions_are_hidden_without_the_tag(town, client):
    models.Petition.objects.create(
        grid=town.dongmen1, number="XF1", petitioner="甲", received_on="2026-01-02", subject="事项",
        key_person=True,
    )  # fmt: skip
    client.force_login(town.dongmen_head)
    assert client.get("/api/ledgers/petitions").json()["count"] == 0
    town.dongmen_head.granted_tags = ["信访重点"]
    town.dongmen_head.save()
    assert client.get("/api/ledgers/petitions").json()["count"] == 1


def test_a_petition_closes_only_with_a_cancellation_number(town, client):
    petition = models.Petition.objects.create(
        grid=town.dongmen1, number="XF2", petitioner="甲", received_on="2026-01-02", subject="事项"
    )
    client.force_login(town.dongmen_head)
    url = f"/api/ledgers/petitions/{petition.pk}/close"
    assert post(client, url, {"closure_number": " "}).status_code == 400
    response = post(client, url, {"closure_number": "XH-9", "closed_on": "2026-02-01"})
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert post(client, url, {"closure_number": "XH-10"}).status_code == 400
    client.force_login(town.ximen_head)
    assert post(client, url, {"closure_number": "XH-11"}).status_code == 404


def test_a_hazard_found_in_an_inspection_becomes_a_case(town, client):
    client.force_login(town.dongmen_head)
    inspection = post(client, "/api/ledgers/safety-inspections", {
        "grid": town.dongmen1.code, "place": "东门菜场", "date": "2026-08-01",
    }).json()  # fmt: skip
    response = post(client, "/api/ledgers/hazards", {
        "inspection": str(inspection["id"]), "description": "消防通道堆放杂物", "deadline": "2026-08-08",
    })  # fmt: skip
    assert response.status_code == 201, response.content
    number = response.json()["case_number"]
    assert number
    from yemai.cases.models import Case

    case = Case.objects.get(number=number)
    assert "消防通道堆放杂物" in case.description and case.source == "department"
    assert case.grid == town.dongmen1


def test_a_deed_moves_through_its_steps_in_order(town, client):
    deed = models.GoodDeed.objects.create(
        grid=town.ximen1, person="丙", deed_on="2026-06-06", description="救人"
    )
    client.force_login(town.ximen_head)
    url = f"/api/ledgers/good-deeds/{deed.pk}/transition"
    assert post(client, url, {"to": "confirmed", "decision_number": "1号"}).status_code == 400
    assert post(client, url, {"to": "investigating"}).status_code == 200
    assert post(client, url, {"to": "confirmed"}).status_code == 400  # no decision number
    assert post(client, url, {"to": "confirmed", "decision_number": "见确1号"}).status_code == 200
    response = post(client, url, {"to": "commended", "commendation": "街道表彰", "award": 5000})
    assert response.status_code == 200
    assert response.json()["state"] == "commended" and response.json()["award"] == 5000


def test_welfare_review_with_exit_ends_the_support(town, client):
    household = models.WelfareHousehold.objects.create(
        grid=town.dongmen1, kind="dibao", head_name="甲", id_number=make_id_number(5),
        monthly_amount=800, entered_on="2025-01-01",
    )  # fmt: skip
    client.force_login(town.dongmen_head)
    url = f"/api/ledgers/welfare-households/{household.pk}/reviews"
    assert (
        post(client, url, {"date": "2026-03-01", "outcome": "exit", "note": "收入超标"}).status_code
        == 200
    )
    household.refresh_from_db()
    assert household.state == "exited" and str(household.exited_on) == "2026-03-01"
    assert household.reviews.count() == 1
    assert post(client, url, {"date": "2026-04-01", "outcome": "keep"}).status_code == 400


def test_a_shared_tool_is_lent_while_pieces_remain(town, client):
    item = models.ServiceItem.objects.create(grid=town.dongmen, kind="tool", name="梯子", stock=1)
    first, second = (
        models.ServiceRequest.objects.create(item=item, grid=town.dongmen, resident_name=n, requested_on="2026-05-01")
        for n in ("甲", "乙")
    )  # fmt: skip
    client.force_login(town.dongmen_head)

    def lend(r):
        return post(
            client, f"/api/ledgers/service-requests/{r.pk}/lend", {"return_due": "2026-05-08"}
        )

    assert lend(first).status_code == 200
    assert lend(second).status_code == 400  # the only ladder is out
    assert (
        client.post(f"/api/ledgers/service-requests/{first.pk}/finish").json()["state"]
        == "returned"
    )
    assert lend(second).status_code == 200


def test_campaign_ranking_orders_villages_by_score(town, client):
    from tests.ledgers.data import year_of_work

    year_of_work(town)
    client.force_login(town.town_head)
    rows = client.get(f"/api/ledgers/campaigns/{town.campaign.pk}/ranking").json()
    assert [(r["rank"], r["grid_name"], r["score"]) for r in rows] == [
        (1, "东门社区", 92.5),
        (2, "西门村", 78.0),
    ]
    assert rows[1]["rectification"] == "十日内清理边沟"
    assert rows[0]["completion"] == 1.0 and rows[1]["completion"] == 0.4


@pytest.mark.parametrize(
    "kind", ["activities", "petitions", "welfare-households", "campaign-targets"]
)
def test_unknown_fields_are_named(town, client, kind):
    client.force_login(town.dongmen_head)
    response = post(client, f"/api/ledgers/{kind}", {"bogus": 1})
    assert response.status_code == 400
    assert "bogus" in json.dumps(response.json(), ensure_ascii=False)

import json

import pytest

from tests.factories import make_id_number
from yemai.core.models import AuditEvent
from yemai.people.models import Resident

pytestmark = pytest.mark.django_db

BASE = "/api/people/residents"


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def _new(seq=800, grid="330282001001001", **extra):
    return {"name": "新人", "id_number": make_id_number(seq), "grid": grid, **extra}


# --- list ----------------------------------------------------------------------------------


def test_it_asks_an_anonymous_caller_to_sign_in(client, town):
    assert client.get(BASE).status_code == 401


def test_it_lists_residents_of_the_scope_masked_and_paginated(client_as, town):
    body = client_as(town.dongmen_head).get(BASE).json()
    assert body["count"] == 2
    first = body["items"][0]
    assert first["name"] == "张三"
    assert first["id_number"] == "330***********" + make_id_number(11)[-4:]
    assert first["phone"] == "138****5678"
    assert make_id_number(11) not in json.dumps(body)


def test_it_shows_a_sibling_village_none_of_them(client_as, town):
    body = client_as(town.ximen_head).get(BASE).json()
    assert [r["name"] for r in body["items"]] == ["李四"]


def test_it_finds_a_person_by_exact_id_number_or_phone(client_as, town):
    client = client_as(town.dongmen_head)
    by_id = client.get(BASE, {"q": make_id_number(21)}).json()
    assert [r["name"] for r in by_id["items"]] == ["赵六"]
    by_phone = client.get(BASE, {"q": "13812345678"}).json()
    assert [r["name"] for r in by_phone["items"]] == ["张三"]
    partial = client.get(BASE, {"q": make_id_number(21)[:10]}).json()
    assert partial["count"] == 0  # no partial match on encrypted data


def test_it_filters_by_grid_tag_and_registration(client_as, town):
    client = client_as(town.town_head)
    assert client.get(BASE, {"grid": "330282001001002"}).json()["count"] == 1
    assert client.get(BASE, {"registration": "migrant"}).json()["count"] == 0


# --- restricted tags -----------------------------------------------------------------------


def test_it_hides_a_restricted_person_from_users_not_granted_the_tag(client_as, town):
    client = client_as(town.dongmen_head)
    names = [r["name"] for r in client.get(BASE).json()["items"]]
    assert "钱七" not in names
    assert client.get(f"{BASE}/{town.restricted_dongmen1.pk}").status_code == 404
    assert client.get(f"{BASE}/{town.restricted_dongmen1.pk}/reveal").status_code == 404
    assert client.get(BASE, {"tag": "社区矫正"}).json()["count"] == 0


def test_it_shows_a_restricted_person_to_a_user_granted_the_tag(client_as, town):
    town.dongmen_head.granted_tags = ["社区矫正"]
    town.dongmen_head.save()
    client = client_as(town.dongmen_head)
    assert client.get(f"{BASE}/{town.restricted_dongmen1.pk}").status_code == 200
    assert client.get(BASE, {"tag": "社区矫正"}).json()["count"] == 1


# --- detail --------------------------------------------------------------------------------


def test_detail_three_ways(client, client_as, town):
    url = f"{BASE}/{town.resident_dongmen1.pk}"
    assert client.get(url).status_code == 401
    ok = client_as(town.dongmen1_member).get(url)
    assert ok.status_code == 200 and ok.json()["phone"] == "138****5678"
    assert client_as(town.dongmen2_member).get(url).status_code == 404
    assert client_as(town.ximen_head).get(url).status_code == 404


# --- create --------------------------------------------------------------------------------


def test_create_three_ways(client, client_as, town):
    assert _post(client, BASE, _new()).status_code == 401
    assert _post(client_as(town.dongmen1_member), BASE, _new()).status_code == 403
    created = _post(client_as(town.dongmen1_leader), BASE, _new(tags=["独居老人"]))
    assert created.status_code == 201, created.content
    assert created.json()["id_number"].startswith("330***")
    outside = _post(client_as(town.ximen_head), BASE, _new(801))
    assert outside.status_code == 400
    assert "grid" in outside.json()["errors"]


def test_it_names_the_fields_of_bad_input(client_as, town):
    bad = _new(802, phone="12345")
    bad["id_number"] = bad["id_number"][:-1] + ("1" if bad["id_number"][-1] != "1" else "2")
    response = _post(client_as(town.dongmen_head), BASE, bad)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"id_number", "phone"}
    assert not Resident.objects.filter(name="新人").exists()


def test_it_rejects_a_duplicate_id_number(client_as, town):
    response = _post(client_as(town.dongmen_head), BASE, _new(11))
    assert response.status_code == 400
    assert response.json()["errors"]["id_number"] == [
        "A resident with this ID number already exists"
    ]


def test_it_rejects_a_missing_field_naming_it(client_as, town):
    response = _post(client_as(town.dongmen_head), BASE, {"name": "x"})
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"id_number", "grid"} <= fields


# --- update and delete ---------------------------------------------------------------------


def test_update_three_ways(client, client_as, town):
    url = f"{BASE}/{town.resident_dongmen1.pk}"
    assert _patch(client, url, {"phone": "13700000000"}).status_code == 401
    assert _patch(client_as(town.dongmen1_member), url, {"phone": "13700000000"}).status_code == 403
    assert _patch(client_as(town.ximen_head), url, {"phone": "13700000000"}).status_code == 404
    ok = _patch(client_as(town.dongmen_head), url, {"phone": "13700000000", "tags": ["低保"]})
    assert ok.status_code == 200
    assert ok.json()["phone"] == "137****0000" and ok.json()["tags"] == ["低保"]


def test_it_refuses_to_move_a_person_into_a_grid_outside_the_scope(client_as, town):
    url = f"{BASE}/{town.resident_dongmen1.pk}"
    response = _patch(client_as(town.dongmen_head), url, {"grid": "330282001002001"})
    assert response.status_code == 400 and "grid" in response.json()["errors"]


def test_delete_three_ways(client, client_as, town):
    url = f"{BASE}/{town.resident_dongmen1.pk}"
    assert client.delete(url).status_code == 401
    assert client_as(town.dongmen1_member).delete(url).status_code == 403
    assert client_as(town.ximen_head).delete(url).status_code == 404
    assert client_as(town.dongmen_head).delete(url).status_code == 204
    assert not Resident.objects.filter(pk=town.resident_dongmen1.pk).exists()


# --- reveal --------------------------------------------------------------------------------


def test_reveal_three_ways_and_the_audit_row(client, client_as, town):
    url = f"{BASE}/{town.resident_dongmen1.pk}/reveal"
    assert client.get(url).status_code == 401
    assert client_as(town.dongmen1_leader).get(url).status_code == 403
    assert client_as(town.ximen_head).get(url).status_code == 404
    assert not AuditEvent.objects.filter(kind="view_pii").exists()
    whole = client_as(town.dongmen_head).get(url)
    assert whole.status_code == 200
    assert whole.json()["id_number"] == make_id_number(11)
    assert whole.json()["phone"] == "13812345678"
    event = AuditEvent.objects.get(kind="view_pii")
    assert event.user == town.dongmen_head
    assert event.object_type == "people.resident"
    assert event.object_id == str(town.resident_dongmen1.pk)
    assert event.detail == {"fields": ["id_number", "phone", "address"]}

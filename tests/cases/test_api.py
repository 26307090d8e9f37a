"""The cases API: lists, filters, one case with its history, reports and idempotency.

Every endpoint three ways: anonymous (401), allowed (2xx), out of scope (404).
"""

import datetime as dt

import pytest
from django.utils import timezone

from yemai.cases.choices import State
from yemai.cases.models import Case, CaseEvent
from yemai.core.models import AuditEvent

from .api_support import IN_DONGMEN1, IN_XIMEN1, OUTSIDE, post_json, report


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def two_cases(loop_town):
    t = loop_town
    t.east = report(t)  # 东门1, dispatched to dongmen1_member
    t.west = report(t, where=IN_XIMEN1, description="西门村路口摆摊")
    return t


def numbers(response):
    assert response.status_code == 200, response.content
    return {item["number"] for item in response.json()["items"]}


# --- lists -----------------------------------------------------------------------------------


def test_it_lists_only_the_cases_in_the_callers_scope(two_cases, client):
    t = two_cases
    assert client.get("/api/cases").status_code == 401
    client.force_login(t.dongmen_head)
    assert numbers(client.get("/api/cases")) == {t.east.number}
    client.force_login(t.town_head)
    assert numbers(client.get("/api/cases")) == {t.east.number, t.west.number}
    client.force_login(t.liaison)  # a department sees only what was referred to it
    assert numbers(client.get("/api/cases")) == set()


def test_it_filters_by_state_category_grid_assignee_period_and_words(two_cases, client):
    t = two_cases
    client.force_login(t.town_head)
    get = lambda **q: numbers(client.get("/api/cases", q))  # noqa: E731
    both = {t.east.number, t.west.number}
    assert get(state="dispatched") == both
    assert get(state="open") == both
    assert get(state="closed,rejected") == set()
    assert get(category="0203") == both and get(category="02") == both
    assert get(category="0101") == set()
    assert get(grid=t.ximen.code) == {t.west.number}
    assert get(assignee=t.dongmen1_member.pk) == {t.east.number}
    assert get(assignee=t.ximen1_member.pk) == {t.west.number}
    assert get(assignee="none") == set()
    assert get(period="today") == both
    assert get(period="2020-01") == set()
    assert get(q="西门村") == {t.west.number}
    assert get(q=t.east.number) == {t.east.number}
    assert get(q=t.east.tracking_code.lower()) == {t.east.number}
    Case.objects.filter(pk=t.east.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    assert get(overdue="true") == {t.east.number}


def test_bad_filters_are_a_400_naming_the_filter(two_cases, client):
    client.force_login(two_cases.town_head)
    for query, field in (
        ({"state": "lost"}, "state"),
        ({"period": "last year"}, "period"),
        ({"period": "2026-02-30"}, "period"),
        ({"assignee": "bob"}, "assignee"),
    ):
        response = client.get("/api/cases", query)
        assert response.status_code == 400, query
        assert field in response.json()["errors"]


def test_a_grid_filter_outside_the_scope_is_a_404(two_cases, client):
    client.force_login(two_cases.dongmen_head)
    assert client.get("/api/cases", {"grid": two_cases.ximen1.code}).status_code == 404


def test_my_cases_are_split_into_to_accept_in_progress_and_overdue(two_cases, client):
    t = two_cases
    assert client.get("/api/cases/mine").status_code == 401
    client.force_login(t.dongmen1_member)
    mine = client.get("/api/cases/mine").json()
    assert [c["number"] for c in mine["to_accept"]] == [t.east.number]
    assert mine["in_progress"] == [] and mine["overdue"] == []
    post_json(client, f"/api/cases/{t.east.pk}/actions/accept")
    Case.objects.filter(pk=t.east.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    mine = client.get("/api/cases/mine").json()
    assert mine["to_accept"] == []
    assert [c["number"] for c in mine["in_progress"]] == [t.east.number]
    assert [c["number"] for c in mine["overdue"]] == [t.east.number]
    assert mine["overdue"][0]["deadline"] == "red"
    client.force_login(t.ximen1_member)  # another grid's member: nothing of 东门
    mine = client.get("/api/cases/mine").json()
    assert t.east.number not in {c["number"] for cases in mine.values() for c in cases}


def test_a_leader_sees_escalated_and_handled_cases_to_act_on(two_cases, client):
    t = two_cases
    client.force_login(t.dongmen1_member)
    post_json(client, f"/api/cases/{t.east.pk}/actions/accept")
    post_json(client, f"/api/cases/{t.east.pk}/actions/escalate", {"note": "需要协调"})
    client.force_login(t.dongmen1_leader)
    mine = client.get("/api/cases/mine").json()
    assert [c["number"] for c in mine["escalated"]] == [t.east.number]


def test_the_centres_queue_holds_cases_outside_every_grid_and_undispatched(two_cases, client):
    t = two_cases
    outside = report(t, where=OUTSIDE)
    assert client.get("/api/cases/queue").status_code == 401
    client.force_login(t.operator)
    assert numbers(client.get("/api/cases/queue")) == {outside.number}
    client.force_login(t.dongmen_head)  # the town's queue is not the village's
    assert numbers(client.get("/api/cases/queue")) == set()


def test_categories_come_as_a_tree_with_their_rules(loop_town, client):
    assert client.get("/api/cases/categories").status_code == 401
    client.force_login(loop_town.dongmen1_member)
    tree = client.get("/api/cases/categories").json()
    street = next(m for m in tree if m["code"] == "02")
    stall = next(c for c in street["children"] if c["code"] == "0203")
    assert stall["name"] == "占道经营"
    assert stall["department"]["name"] == "城管中队"
    assert stall["handle_hours"] == 4.0


# --- one case --------------------------------------------------------------------------------


def test_a_case_shows_its_history_photos_and_the_callers_actions(two_cases, client):
    t = two_cases
    url = f"/api/cases/{t.east.pk}"
    assert client.get(url).status_code == 401
    client.force_login(t.dongmen1_member)
    case = client.get(url).json()
    assert case["number"] == t.east.number and case["state"] == "dispatched"
    assert case["reporter_phone"] == "138****8000"  # masked
    assert case["reporter_name"] == "居民甲"
    assert [e["action"] for e in case["events"]] == ["report", "register", "dispatch"]
    assert case["events"][0]["actor"] == "居民甲"
    assert case["events"][1]["actor"] == "Automatic routing"
    assert case["events"][2]["data"] == {"assignee": t.dongmen1_member.pk}
    assert case["assignee"]["id"] == t.dongmen1_member.pk
    assert case["deadline"] == "green"
    assert "accept" in case["allowed_actions"] and "verify" not in case["allowed_actions"]
    client.force_login(t.dongmen1_leader)
    assert "accept" not in client.get(url).json()["allowed_actions"]
    client.force_login(t.ximen1_member)
    assert client.get(url).status_code == 404


def test_a_case_can_be_found_by_its_number(two_cases, client):
    t = two_cases
    url = f"/api/cases/number/{t.east.number}"
    assert client.get(url).status_code == 401
    client.force_login(t.dongmen_head)
    assert client.get(url).json()["id"] == t.east.pk
    assert client.get(f"/api/cases/number/{t.west.number}").status_code == 404


def test_the_reporters_whole_phone_is_shown_to_roles_that_may_and_audited(two_cases, client):
    t = two_cases
    url = f"/api/cases/{t.east.pk}/reveal"
    assert client.post(url).status_code == 401
    client.force_login(t.dongmen1_member)
    assert client.post(url).status_code == 403
    client.force_login(t.ximen_head)
    assert client.post(url).status_code == 404
    client.force_login(t.dongmen_head)
    response = client.post(url)
    assert response.status_code == 200
    assert response.json()["reporter_phone"] == "13800138000"
    event = AuditEvent.objects.get(kind="view_pii", object_id=str(t.east.pk))
    assert event.username == "dongmen_head"


def test_it_lists_the_members_a_case_can_go_to(two_cases, client):
    t = two_cases
    url = f"/api/cases/{t.east.pk}/assignees"
    assert client.get(url).status_code == 401
    client.force_login(t.dongmen_head)
    people = client.get(url).json()
    assert [p["id"] for p in people][0] == t.dongmen1_member.pk
    assert people[0]["on_duty"] and people[0]["open_cases"] == 1
    assert t.dongmen2_member.pk not in {p["id"] for p in people}  # another micro-grid
    client.force_login(t.ximen_head)
    assert client.get(url).status_code == 404


# --- reports ---------------------------------------------------------------------------------


def test_a_member_on_patrol_reports_with_gps_and_the_case_is_routed(loop_town, client):
    t = loop_town
    body = {"category": "0203", "description": "巡查发现占道经营", **IN_DONGMEN1}
    assert post_json(client, "/api/cases", body).status_code == 401
    client.force_login(t.dongmen1_member)
    response = post_json(client, "/api/cases", body)
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["source"] == "patrol"
    assert case["grid"] == t.dongmen1.code and case["state"] == "dispatched"
    assert Case.objects.get(pk=case["id"]).reporter == t.dongmen1_member


def test_a_report_outside_the_reporters_area_is_refused_and_nothing_stored(loop_town, client):
    client.force_login(loop_town.dongmen1_member)
    before = (Case.objects.count(), CaseEvent.objects.count())
    body = {"category": "0203", "description": "隔壁村的问题", **IN_XIMEN1}
    response = post_json(client, "/api/cases", body)
    assert response.status_code == 400
    assert "lon" in response.json()["errors"]
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"category": "9999", "description": "x", **IN_DONGMEN1}, "category"),
        ({"category": "02", "description": "x", **IN_DONGMEN1}, "category"),
        ({"category": "0203", "description": "  ", **IN_DONGMEN1}, "description"),
        ({"category": "0203", "description": "x", "lon": 500, "lat": 30}, "lon"),
        ({"category": "0203", "description": "x", "lon": "east", "lat": 30}, "lon"),
        ({"category": "0203", "description": "x"}, "lon"),
        ({"category": "0203", "description": "x", "source": "camera", **IN_DONGMEN1}, "source"),
        ({"category": "0203", "description": "x", "crs": "mars", **IN_DONGMEN1}, "crs"),
    ],
)
def test_a_bad_report_is_a_400_naming_the_field(loop_town, client, body, field):
    client.force_login(loop_town.dongmen1_member)
    before = Case.objects.count()
    response = post_json(client, "/api/cases", body)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    names = errors if isinstance(errors, dict) else {e["field"] for e in errors}
    assert field in names
    assert Case.objects.count() == before


def test_roles_that_do_not_report_get_a_403(loop_town, client):
    client.force_login(loop_town.auditor)
    body = {"category": "0203", "description": "x", **IN_DONGMEN1}
    assert post_json(client, "/api/cases", body).status_code == 403
    client.force_login(loop_town.liaison)
    assert post_json(client, "/api/cases", body).status_code == 403


def test_the_centre_may_name_the_source_of_a_phone_call(loop_town, client):
    client.force_login(loop_town.operator)
    body = {
        "category": "0203",
        "description": "来电反映",
        "source": "hotline",
        "reporter_name": "王先生",
        "reporter_phone": "13900001111",
        **OUTSIDE,
    }
    response = post_json(client, "/api/cases", body)
    assert response.status_code == 201
    assert response.json()["source"] == "hotline"
    assert response.json()["state"] == State.REPORTED  # outside every grid: the queue
    assert response.json()["reporter_phone"] == "139****1111"


def test_a_repeated_post_with_the_same_idempotency_key_gives_one_case(loop_town, client):
    client.force_login(loop_town.operator)
    body = {"category": "0203", "description": "摄像头发现", "source": "camera", **IN_DONGMEN1}
    first = post_json(client, "/api/cases", body, HTTP_IDEMPOTENCY_KEY="cam7:zone2:track9")
    again = post_json(client, "/api/cases", body, HTTP_IDEMPOTENCY_KEY="cam7:zone2:track9")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.count() == 1
    other = post_json(client, "/api/cases", body, HTTP_IDEMPOTENCY_KEY="cam7:zone2:track10")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def test_idempotency_keys_belong_to_one_account(loop_town, client):
    body = {"category": "0203", "description": "x", **IN_DONGMEN1}
    client.force_login(loop_town.operator)
    first = post_json(client, "/api/cases", body, HTTP_IDEMPOTENCY_KEY="k1")
    client.force_login(loop_town.dongmen1_member)
    second = post_json(client, "/api/cases", body, HTTP_IDEMPOTENCY_KEY="k1")
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]


def test_an_overlong_idempotency_key_is_a_400(loop_town, client):
    client.force_login(loop_town.operator)
    body = {"category": "0203", "description": "x", **IN_DONGMEN1}
    response = post_json(client, "/api/cases", body, HTTP_IDEMPOTENCY_KEY="k" * 151)
    assert response.status_code == 400
    assert Case.objects.count() == 0


# --- garbage ---------------------------------------------------------------------------------

GARBAGE = [
    ("application/json", "{not json"),
    ("application/json", '{"note": 5, "assignee": "x", "participants": "all", "lon": "e"}'),
    ("application/json", '{"note": "' + "长" * 3000 + '", "hours": 1e999, "into": -1}'),
    ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="file"'),
]


def test_garbage_on_a_real_case_is_a_4xx_never_a_500_and_changes_nothing(two_cases, client):
    from yemai.cases.workflow import TRANSITIONS

    t = two_cases
    client.force_login(t.town_head)
    before = (Case.objects.count(), CaseEvent.objects.count(), t.east.state)
    urls = [f"/api/cases/{t.east.pk}/actions/{a}" for a in [*TRANSITIONS, "nonsense", "report"]]
    urls += [f"/api/cases/{t.east.pk}/photos", "/api/cases"]
    problems = []
    for url in urls:
        for content_type, body in GARBAGE:
            response = client.post(url, data=body, content_type=content_type)
            if not 400 <= response.status_code < 500:
                problems.append(f"{url} {body[:15]!r}: {response.status_code}")
    for query in ({"variant": "raw"}, {"variant": ""}):
        response = client.get(f"/api/cases/{t.east.pk}/photos/1", query)
        if not 400 <= response.status_code < 500:
            problems.append(f"photo {query}: {response.status_code}")
    assert problems == []
    t.east.refresh_from_db()
    assert (Case.objects.count(), CaseEvent.objects.count(), t.east.state) == before


def test_a_locked_database_is_a_503_with_retry_after_not_a_500(loop_town, client, monkeypatch):
    from django.db import OperationalError

    from yemai.cases import actions

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(actions, "case_report", locked)
    client.force_login(loop_town.dongmen1_member)
    response = client.post(
        "/api/cases",
        data={"category": "0203", "description": "x", "lon": 121.21, "lat": 30.21},
        content_type="application/json",
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "2"

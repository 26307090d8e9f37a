"""Token auth for staff apps and machine clients: ``Authorization: Bearer <token>``."""

import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from yemai.accounts.models import ApiToken
from yemai.accounts.tokens import token_create, token_revoke
from yemai.cases.models import Case

from .api_support import IN_DONGMEN1


@pytest.fixture
def api():
    """A client as a machine is: no cookie, CSRF enforced like a real server."""
    return Client(enforce_csrf_checks=True)


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def camera(loop_town):
    """The camera worker: a centre-operator account scoped to the town, with a token."""
    from tests.factories import make_user

    user = make_user("camera_worker", "centre_operator", loop_town.town)
    row, token = token_create(user=user, name="camera worker")
    loop_town.camera_user, loop_town.camera_row, loop_town.camera_token = user, row, token
    return loop_town


def camera_report(api, token, key="cam3:zone1:track42"):
    body = {"category": "0202", "description": "跨门经营", "source": "camera", **IN_DONGMEN1}
    return api.post(
        "/api/cases",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **bearer(token),
    )


def test_a_camera_worker_reports_with_its_token_and_a_retry_gives_the_same_case(camera, api):
    first = camera_report(api, camera.camera_token)
    again = camera_report(api, camera.camera_token)
    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert first.json()["id"] == again.json()["id"]
    case = Case.objects.get()
    assert case.source == "camera" and case.reporter == camera.camera_user


def test_only_the_tokens_hash_is_stored_and_its_use_is_noted(camera, api):
    row = ApiToken.objects.get(pk=camera.camera_row.pk)
    assert row.token_hash == hashlib.sha256(camera.camera_token.encode()).hexdigest()
    assert camera.camera_token not in {row.token_hash, row.prefix, row.name}
    assert row.last_used is None
    assert api.get("/api/cases", **bearer(camera.camera_token)).status_code == 200
    assert ApiToken.objects.get(pk=row.pk).last_used is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer ym_wrong", "Bearer ", "Bearer " + "x" * 5000, "bearer ym_\u00e9\ud800"],
)
def test_a_wrong_token_is_a_401(camera, api, header):
    response = api.get("/api/cases", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_a_revoked_token_or_an_inactive_account_is_a_401(camera, api):
    token_revoke(token=camera.camera_row)
    assert api.get("/api/cases", **bearer(camera.camera_token)).status_code == 401
    assert camera_report(api, camera.camera_token).status_code == 401
    row, token = token_create(user=camera.camera_user, name="second")
    assert api.get("/api/cases", **bearer(token)).status_code == 200
    camera.camera_user.is_active = False
    camera.camera_user.save()
    assert api.get("/api/cases", **bearer(token)).status_code == 401
    assert Case.objects.count() == 0


def test_a_token_has_its_users_scope(loop_town, api):
    from .api_support import report

    east, west = report(loop_town), report(loop_town, where={"lon": 121.23, "lat": 30.21})
    _, token = token_create(user=loop_town.dongmen1_member, name="phone app")
    items = api.get("/api/cases", **bearer(token)).json()["items"]
    assert [c["number"] for c in items] == [east.number]
    assert api.get(f"/api/cases/{west.pk}", **bearer(token)).status_code == 404
    response = api.post(
        f"/api/cases/{east.pk}/actions/accept",
        data="{}",
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 200 and response.json()["state"] == "accepted"


def test_the_grid_and_people_endpoints_take_tokens_and_sessions_alike(loop_town, api):
    _, token = token_create(user=loop_town.dongmen_head, name="desk")
    grids = api.get("/api/grids/", **bearer(token))
    assert grids.status_code == 200
    assert {g["code"] for g in grids.json()} >= {loop_town.dongmen1.code}
    assert "西门村" not in grids.content.decode()
    assert api.get("/api/people/residents", **bearer(token)).status_code == 200
    assert api.get("/api/grids/").status_code == 401
    session = Client()
    session.force_login(loop_town.dongmen_head)
    assert session.get("/api/grids/").status_code == 200


def test_a_session_post_still_needs_its_csrf_token(loop_town, api):
    api.force_login(loop_town.dongmen1_member)
    body = {"category": "0203", "description": "x", **IN_DONGMEN1}
    response = api.post("/api/cases", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_tokens_are_made_listed_and_revoked_on_the_command_line(loop_town, api):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "tokens", "create", "--user", "operator", "--name", "camera worker", stdout=out, stderr=err
    )
    token = out.getvalue().strip()
    assert token.startswith("ym_") and "not shown again" in err.getvalue()
    assert api.get("/api/cases", **bearer(token)).status_code == 200
    listing = io.StringIO()
    call_command("tokens", "list", stdout=listing)
    assert "camera worker" in listing.getvalue() and token not in listing.getvalue()
    row = ApiToken.objects.get()
    call_command("tokens", "revoke", str(row.pk), stdout=io.StringIO())
    assert api.get("/api/cases", **bearer(token)).status_code == 401


def test_the_command_refuses_an_unknown_user_or_an_empty_name(loop_town):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("tokens", "create", "--user", "nobody", "--name", "x", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("tokens", "create", "--user", "operator", "--name", " ", stdout=io.StringIO())
    assert ApiToken.objects.count() == 0


def test_a_camera_seeing_the_same_thing_again_is_merged_into_the_first_case(camera, api):
    first = camera_report(api, camera.camera_token, key="cam3:zone1:track42")
    second = camera_report(api, camera.camera_token, key="cam3:zone1:track43")
    assert (first.status_code, second.status_code) == (201, 201)
    repeat = second.json()
    assert repeat["state"] == "rejected" and repeat["merged_into"] == first.json()["number"]
    again = camera_report(api, camera.camera_token, key="cam3:zone1:track43")
    assert again.status_code == 200 and again.json()["id"] == repeat["id"]
    assert Case.objects.count() == 2


def test_a_token_is_checked_in_one_statement_that_brings_its_user_and_scope(
    loop_town, django_assert_num_queries
):
    from yemai.accounts.tokens import token_user

    member = loop_town.dongmen1_member
    _, token = token_create(user=member, name="phone app")
    assert token_user(token) == member  # notes its first use
    with django_assert_num_queries(1):
        user = token_user(token)
        assert user.scope == loop_town.dongmen1 and user.scope.path == loop_town.dongmen1.path
        assert user.role == member.role and user.is_active
    unscoped = loop_town.auditor
    unscoped.scope = None
    unscoped.save()
    _, token = token_create(user=unscoped, name="audit export")
    assert token_user(token).scope is None

"""Every transition through the API: POST /api/cases/{id}/actions/{action}.

A step in the wrong order is a 400 with the reason; a role that may not take it, a 403; a case
outside the caller's scope, a 404; nobody signed in, a 401.
"""

import pytest

from yemai.cases.choices import State
from yemai.cases.models import Case, CaseEvent, CasePhoto
from yemai.core.models import AuditEvent

from .api_support import OUTSIDE, png, post_json, report


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def act(client, case, action, **body):
    return post_json(client, f"/api/cases/{case.pk}/actions/{action}", body)


def ok(response, state=None):
    assert response.status_code == 200, response.content
    case = response.json()
    if state is not None:
        assert case["state"] == state
    return case


@pytest.fixture
def case(loop_town):
    return report(loop_town)  # 东门1, dispatched to dongmen1_member


def test_the_whole_loop_runs_through_the_api(loop_town, case, client):
    t = loop_town
    client.force_login(t.dongmen1_member)
    ok(act(client, case, "accept", lon=121.2101, lat=30.2101), State.ACCEPTED)
    ok(act(client, case, "start"), State.HANDLING)
    ok(act(client, case, "escalate", note="摊主不配合"), State.ESCALATED)
    client.force_login(t.dongmen1_leader)
    body = ok(
        act(client, case, "consult", participants=[t.dongmen1_member_row.pk], note="三队会商"),
        State.CONSULTING,
    )
    assert body["events"][-1]["data"]["names"] == ["王丽"]
    ok(act(client, case, "refer", department=t.chengguan.pk), State.REFERRED)
    client.force_login(t.liaison)
    handled = ok(act(client, case, "handle", note="已劝离"), State.HANDLED)
    client.force_login(t.dongmen1_leader)
    refused = act(client, case, "verify")  # 反馈 needs its after-photo first
    assert refused.status_code == 400 and "photos" in refused.json()["errors"]
    client.force_login(t.liaison)
    photo = upload(client, case, png(), event=handled["events"][-1]["id"])
    assert photo.status_code == 201, photo.content
    client.force_login(t.dongmen1_leader)
    ok(act(client, case, "verify"), State.VERIFIED)
    closed = ok(act(client, case, "close"), State.CLOSED)
    assert [e["action"] for e in closed["events"]][-8:] == [
        "accept",
        "start",
        "escalate",
        "consult",
        "refer",
        "handle",
        "verify",
        "close",
    ]
    accept = next(e for e in closed["events"] if e["action"] == "accept")
    assert (accept["lon"], accept["lat"]) == (121.2101, 30.2101)
    assert accept["actor"] == str(t.dongmen1_member)
    assert closed["department"]["name"] == "城管中队"


def test_nobody_signed_in_gets_a_401(case, client):
    assert act(client, case, "accept").status_code == 401


def test_a_step_out_of_order_is_a_400_with_the_reason(loop_town, case, client):
    client.force_login(loop_town.dongmen1_leader)
    response = act(client, case, "verify")
    assert response.status_code == 400
    assert "cannot be given" in response.json()["errors"]["action"][0]
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


def test_a_role_that_may_not_take_a_step_gets_a_403(loop_town, case, client):
    t = loop_town
    client.force_login(t.dongmen1_leader)  # escalating is the member's step
    ok(act(client, case, "comment", note="看一下"))
    client.force_login(t.dongmen1_member)
    ok(act(client, case, "accept"))
    client.force_login(t.dongmen1_leader)
    assert act(client, case, "escalate").status_code == 403
    client.force_login(t.dongmen1_member)  # parking is for village heads and the centre
    assert act(client, case, "park", reason="等待").status_code == 403
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED


def test_a_member_acting_on_another_grids_case_gets_a_404(loop_town, case, client):
    client.force_login(loop_town.ximen1_member)
    assert act(client, case, "accept").status_code == 404
    client.force_login(loop_town.dongmen2_member)  # same village, another micro-grid
    assert act(client, case, "accept").status_code == 404


def test_a_member_may_not_accept_a_case_given_to_someone_else(loop_town, case, client):
    from tests.factories import make_user

    other = make_user("dongmen1_other", "member", loop_town.dongmen1)
    client.force_login(other)
    assert act(client, case, "accept").status_code == 403


def test_an_unknown_action_is_a_400(loop_town, case, client):
    client.force_login(loop_town.dongmen_head)
    for action in ("fly", "report", "rate"):
        response = act(client, case, action)
        assert response.status_code == 400, action
        assert "action" in response.json()["errors"]


# --- the centre's queue: register, dispatch, reject -------------------------------------------


def test_the_centre_dispatches_a_case_from_its_queue_to_a_member(loop_town, client):
    t = loop_town
    queued = report(t, where=OUTSIDE)
    client.force_login(t.operator)
    ok(act(client, queued, "register"), State.REGISTERED)
    body = ok(act(client, queued, "dispatch", assignee=t.dongmen2_member.pk), State.DISPATCHED)
    assert body["assignee"]["id"] == t.dongmen2_member.pk
    assert body["grid"] == t.dongmen2.code  # moved to the member's micro-grid
    client.force_login(t.dongmen2_member)  # who now sees it and may accept it
    ok(act(client, queued, "accept"), State.ACCEPTED)


def test_dispatch_needs_a_member_in_the_callers_scope_and_the_cases_grid(loop_town, client):
    t = loop_town
    queued = report(t, where=OUTSIDE)
    client.force_login(t.operator)
    ok(act(client, queued, "register"))
    for assignee in (None, 999999, t.auditor.pk, t.dongmen_head.pk):
        response = act(client, queued, "dispatch", assignee=assignee)
        assert response.status_code == 400, assignee
        assert "assignee" in response.json()["errors"]
    case = report(t)  # in 东门1: a 东门2 member is in another grid
    ok(act(client, case, "send_back"), State.REGISTERED)
    response = act(client, case, "dispatch", assignee=t.dongmen2_member.pk)
    assert response.status_code == 400
    client.force_login(t.dongmen_head)  # 西门's member is outside 东门's scope
    response = act(client, case, "dispatch", assignee=t.ximen1_member.pk)
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).state == State.REGISTERED


def test_a_rejection_needs_a_reason(loop_town, client):
    queued = report(loop_town, where=OUTSIDE)
    client.force_login(loop_town.operator)
    response = act(client, queued, "reject")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    body = ok(act(client, queued, "reject", reason="duplicate", note="同一摊位"), State.REJECTED)
    assert body["reject_reason"] == "duplicate"


# --- sending back ------------------------------------------------------------------------------


def test_a_member_sends_a_wrongly_dispatched_case_back_to_the_centre(loop_town, case, client):
    client.force_login(loop_town.dongmen1_member)
    body = ok(act(client, case, "send_back", note="不是我片区"), State.REGISTERED)
    assert body["assignee"] is None
    assert body["events"][-1]["data"] == {"assignee": loop_town.dongmen1_member.pk}


def test_a_department_sends_a_case_back_to_the_leader(loop_town, case, client):
    t = loop_town
    client.force_login(t.dongmen1_member)
    act(client, case, "accept")
    act(client, case, "escalate")
    client.force_login(t.dongmen1_leader)
    ok(act(client, case, "refer", department=t.chengguan.pk), State.REFERRED)
    client.force_login(t.liaison)
    body = ok(act(client, case, "send_back", note="不属于城管"), State.ESCALATED)
    assert body["department"] is None
    # Out of the department's sight now, and back with the leader.
    assert client.get(f"/api/cases/{case.pk}").status_code == 404
    client.force_login(t.dongmen1_leader)
    assert "refer" in client.get(f"/api/cases/{case.pk}").json()["allowed_actions"]


def test_refer_needs_a_department_of_the_cases_town(loop_town, case, client):
    t = loop_town
    client.force_login(t.dongmen1_member)
    act(client, case, "accept")
    act(client, case, "escalate")
    client.force_login(t.dongmen1_leader)
    for department in (None, 999999):
        response = act(client, case, "refer", department=department)
        assert response.status_code == 400
        assert "department" in response.json()["errors"]


def test_consultation_participants_must_belong_to_the_micro_grid(loop_town, case, client):
    t = loop_town
    client.force_login(t.dongmen1_member)
    act(client, case, "accept")
    act(client, case, "escalate")
    client.force_login(t.dongmen1_leader)
    for participants in ([], [t.ximen1_member_row.pk], [t.dongmen1_member_row.pk, 999999]):
        response = act(client, case, "consult", participants=participants)
        assert response.status_code == 400, participants
        assert "participants" in response.json()["errors"]
    assert Case.objects.get(pk=case.pk).state == State.ESCALATED


# --- park, extensions, merge, follow-up ---------------------------------------------------------


def test_a_village_head_parks_and_resumes_a_case(loop_town, case, client):
    client.force_login(loop_town.dongmen_head)
    response = act(client, case, "park")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    body = ok(act(client, case, "park", reason="等待法院判决"), State.PARKED)
    assert body["park_reason"] == "等待法院判决"
    ok(act(client, case, "unpark"), State.DISPATCHED)


def test_a_member_asks_for_more_time_and_the_leader_approves(loop_town, case, client):
    t = loop_town
    client.force_login(t.dongmen1_member)
    act(client, case, "accept")
    response = act(client, case, "request_extension", reason="等待配件")
    assert response.status_code == 400 and "hours" in response.json()["errors"]
    ok(act(client, case, "request_extension", hours=4, reason="等待配件"))
    due_before = Case.objects.get(pk=case.pk).due_at
    client.force_login(t.dongmen1_leader)
    ok(act(client, case, "approve_extension"))
    assert Case.objects.get(pk=case.pk).due_at > due_before


def test_staff_merge_a_duplicate_into_the_original(loop_town, case, client):
    again = report(loop_town, description="又是那个摊")
    client.force_login(loop_town.dongmen1_leader)
    response = act(client, again, "merge", into=again.pk)
    assert response.status_code == 400 and "into" in response.json()["errors"]
    body = ok(act(client, again, "merge", into=case.pk), State.REJECTED)
    assert body["merged_into"] == case.number


def test_a_phone_follow_up_is_recorded_on_a_closed_case(loop_town, case, client):
    t = loop_town
    Case.objects.filter(pk=case.pk).update(state=State.CLOSED)
    client.force_login(t.dongmen1_leader)
    response = act(client, case, "follow_up", score=9, fixed="yes")
    assert response.status_code == 400
    ok(act(client, case, "follow_up", score=5, fixed="yes", note="居民满意"))
    assert case.ratings.get().by_phone


# --- photos ----------------------------------------------------------------------------------


def upload(client, case, data, kind="after", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/api/cases/{case.pk}/photos",
        {"file": SimpleUploadedFile("photo.png", data), "kind": kind, **extra},
    )


def test_a_member_adds_an_after_photo_to_the_handle_step(loop_town, case, client):
    client.force_login(loop_town.dongmen1_member)
    act(client, case, "accept")
    handled = ok(act(client, case, "handle", note="已清理"), State.HANDLED)
    step = handled["events"][-1]["id"]
    response = upload(client, case, png(), event=step)
    assert response.status_code == 201, response.content
    photo = response.json()
    assert photo["kind"] == "after" and photo["event"] == step
    detail = client.get(f"/api/cases/{case.pk}").json()
    assert detail["photos"][0]["id"] == photo["id"]
    assert detail["events"][-1]["photos"] == [photo["id"]]


def test_a_fake_or_misfiled_photo_is_a_400_and_nothing_is_stored(loop_town, case, client):
    client.force_login(loop_town.dongmen1_member)
    assert upload(client, case, b"GIF89a not really").status_code == 400
    assert upload(client, case, png(), kind="selfie").status_code == 400
    other = report(loop_town)
    step = other.events.first().pk
    response = upload(client, case, png(), event=step)
    assert response.status_code == 400 and "event" in response.json()["errors"]
    assert CasePhoto.objects.count() == 0


def test_photo_upload_three_ways(loop_town, case, client):
    assert upload(client, case, png()).status_code == 401
    client.force_login(loop_town.ximen1_member)
    assert upload(client, case, png()).status_code == 404
    client.force_login(loop_town.auditor)  # sees the town, takes no part in cases
    assert upload(client, case, png()).status_code == 403
    assert CasePhoto.objects.count() == 0


def test_photos_come_as_public_copies_and_originals_only_to_roles_that_may(loop_town, case, client):
    t = loop_town
    client.force_login(t.dongmen1_member)
    photo = upload(client, case, png(), kind="report").json()
    url = f"/api/cases/{case.pk}/photos/{photo['id']}"
    public = client.get(url)
    assert public.status_code == 200 and public["Content-Type"] == "image/jpeg"
    assert client.get(url, {"variant": "thumbnail"}).status_code == 200
    assert client.get(url, {"variant": "original"}).status_code == 403
    assert client.get(url, {"variant": "raw"}).status_code == 400
    client.force_login(t.dongmen_head)
    original = client.get(url, {"variant": "original"})
    assert original.status_code == 200 and original["Content-Type"] == "image/png"
    assert AuditEvent.objects.filter(kind="view_pii", object_type="cases.casephoto").count() == 1
    client.force_login(t.ximen_head)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 401


def test_every_step_is_in_the_history_with_who_and_where(loop_town, case, client):
    client.force_login(loop_town.dongmen1_member)
    act(client, case, "accept", lon=121.21, lat=30.21, note="马上到")
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.action, event.actor, event.note) == (
        "accept",
        loop_town.dongmen1_member,
        "马上到",
    )
    assert (event.lon, event.lat) == (121.21, 30.21)
    response = act(client, case, "start", lon=999, lat=30)
    assert response.status_code == 400 and "lon" in response.json()["errors"]

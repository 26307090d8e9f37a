"""The separate permission (单独授权): another person's track or selfie needs a grant no role
implies, only the security administrator gives it, and every grant and view is audited."""

import pytest

from yemai.core.models import AuditEvent
from yemai.duty.models import SensitiveGrant
from yemai.duty.services import patrol_points_add, patrol_start

from .conftest import fixes, post_json, selfie


@pytest.fixture
def patrolled(duty_town):
    """dongmen1_member walked a patrol; ximen1_member one in the sibling village."""
    t = duty_town

    def walked(user):
        patrol, _created = patrol_start(user=user)
        patrol_points_add(user=user, patrol_id=patrol.pk, points=fixes(4))
        return patrol

    t.east_patrol = walked(t.dongmen1_member)
    t.west_patrol = walked(t.ximen1_member)
    return t


def grant(client, t, user, reason="考勤复核"):
    client.force_login(t.security)
    response = post_json(client, "/api/duty/grants", {"user_id": user.pk, "reason": reason})
    client.logout()
    return response


def views(kind="view_pii"):
    return AuditEvent.objects.filter(kind=kind, detail__what__isnull=False)


def test_a_member_sees_their_own_track_without_a_grant_or_an_audit_record(patrolled, client):
    t = patrolled
    client.force_login(t.dongmen1_member)
    response = client.get(f"/api/duty/patrols/{t.east_patrol.pk}")
    assert response.status_code == 200 and len(response.json()["points"]) == 4
    assert not views().exists()


def test_a_village_head_without_the_grant_is_refused_a_members_track(patrolled, client):
    t = patrolled
    # REVEAL_PII (whole ID numbers and phones) does not include whereabouts.
    assert t.dongmen_head.can_reveal_pii
    client.force_login(t.dongmen_head)
    response = client.get(f"/api/duty/patrols/{t.east_patrol.pk}")
    assert response.status_code == 403
    assert "separate grant" in response.json()["detail"]
    member = t.dongmen1_member.pk
    assert client.get(f"/api/duty/patrols?member={member}").status_code == 403
    assert client.get(f"/api/duty/checkins?member={member}").status_code == 403
    # His own list is empty, never the members'.
    assert client.get("/api/duty/patrols").json()["items"] == []
    # Neither do the leader, the town head or a fellow member see it.
    for other in (t.dongmen1_leader, t.town_head, t.operator, t.dongmen2_member):
        client.force_login(other)
        assert client.get(f"/api/duty/patrols/{t.east_patrol.pk}").status_code in {403, 404}
    assert not views().exists()


def test_with_the_grant_the_village_head_sees_the_track_and_it_is_audited(patrolled, client):
    t = patrolled
    assert grant(client, t, t.dongmen_head).status_code == 201
    client.force_login(t.dongmen_head)
    response = client.get(f"/api/duty/patrols/{t.east_patrol.pk}")
    assert response.status_code == 200 and len(response.json()["points"]) == 4
    record = views().get()
    assert record.user_id == t.dongmen_head.pk
    assert record.object_type == "duty.patrol" and record.object_id == str(t.east_patrol.pk)
    assert record.detail == {"what": "patrol_track", "member": t.dongmen1_member.pk}
    listed = client.get(f"/api/duty/patrols?member={t.dongmen1_member.pk}")
    assert [p["id"] for p in listed.json()["items"]] == [t.east_patrol.pk]
    assert views().count() == 2


def test_a_sibling_village_viewer_gets_404_even_with_the_grant(patrolled, client):
    t = patrolled
    grant(client, t, t.ximen_head)
    client.force_login(t.ximen_head)
    assert client.get(f"/api/duty/patrols/{t.east_patrol.pk}").status_code == 404
    listed = client.get(f"/api/duty/patrols?member={t.dongmen1_member.pk}")
    assert listed.json()["items"] == []
    # His own village's member he sees.
    assert client.get(f"/api/duty/patrols/{t.west_patrol.pk}").status_code == 200
    assert views().filter(object_id=str(t.east_patrol.pk)).count() == 0


def test_only_the_security_administrator_grants_and_every_grant_is_audited(patrolled, client):
    t = patrolled
    body = {"user_id": t.dongmen_head.pk, "reason": "考勤复核"}
    for not_security in (t.town_head, t.dongmen_head, t.auditor, t.operator):
        client.force_login(not_security)
        response = post_json(client, "/api/duty/grants", body)
        assert response.status_code == 403
        assert client.get("/api/duty/grants").status_code == 403
    assert not SensitiveGrant.objects.exists()
    assert post_json(client.__class__(), "/api/duty/grants", body).status_code == 401

    response = grant(client, t, t.dongmen_head)
    assert response.status_code == 201 and response.json()["granted_by"] == "security"
    record = AuditEvent.objects.get(kind="permission", detail__sensitive_grant="granted")
    assert record.user_id == t.security.pk
    assert record.detail["sensitive_grant"] == "granted"
    assert grant(client, t, t.dongmen_head).status_code == 200  # held already: same grant

    client.force_login(t.security)
    assert [g["username"] for g in client.get("/api/duty/grants").json()] == ["dongmen_head"]
    assert client.delete(f"/api/duty/grants/{t.dongmen_head.pk}").status_code == 204
    assert client.delete(f"/api/duty/grants/{t.dongmen_head.pk}").status_code == 404
    revoked = AuditEvent.objects.filter(kind="permission", detail__sensitive_grant="revoked")
    assert revoked.count() == 1
    client.force_login(t.dongmen_head)
    assert client.get(f"/api/duty/patrols/{t.east_patrol.pk}").status_code == 403


def test_the_grant_needs_a_reason_and_never_goes_to_an_administrator_or_oneself(patrolled, client):
    t = patrolled
    client.force_login(t.security)
    no_reason = post_json(client, "/api/duty/grants", {"user_id": t.dongmen_head.pk, "reason": " "})
    assert no_reason.status_code == 400
    admin = post_json(client, "/api/duty/grants", {"user_id": t.auditor.pk, "reason": "x"})
    assert admin.status_code == 400
    itself = post_json(client, "/api/duty/grants", {"user_id": t.security.pk, "reason": "x"})
    assert itself.status_code in {400, 403}
    unknown = post_json(client, "/api/duty/grants", {"user_id": 999_999, "reason": "x"})
    assert unknown.status_code == 404
    assert not SensitiveGrant.objects.exists()
    assert not AuditEvent.objects.filter(detail__sensitive_grant__isnull=False).exists()


def test_a_selfie_needs_the_grant_and_each_view_is_audited(duty_town, client):
    t = duty_town
    client.force_login(t.dongmen1_member)
    created = client.post("/api/duty/checkins", {"photo": _file(), "lon": "121.21", "lat": "30.21"})
    assert created.status_code == 201, created.content
    photo_url = created.json()["photo_url"]
    assert client.get(photo_url).status_code == 200  # one's own: no audit
    assert not views().exists()

    client.force_login(t.dongmen_head)
    assert client.get(photo_url).status_code == 403
    client.force_login(t.ximen_head)
    assert client.get(photo_url).status_code == 404
    grant(client, t, t.dongmen_head)
    grant(client, t, t.ximen_head)
    client.force_login(t.ximen_head)
    assert client.get(photo_url).status_code == 404
    client.force_login(t.dongmen_head)
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    record = views().get()
    assert record.detail["what"] == "checkin_photo" and record.object_type == "duty.checkin"

    pending = client.get("/api/duty/checkins/pending").json()["items"]
    assert [c["id"] for c in pending] == [created.json()["id"]]
    reviewed = post_json(
        client, f"/api/duty/checkins/{created.json()['id']}/review", {"outcome": "accepted"}
    )
    assert reviewed.status_code == 200 and reviewed.json()["review"] == "accepted"
    assert AuditEvent.objects.filter(kind="change", object_type="duty.checkin").count() == 1
    client.force_login(t.dongmen1_member)
    own = post_json(
        client, f"/api/duty/checkins/{created.json()['id']}/review", {"outcome": "accepted"}
    )
    assert own.status_code == 403


def _file(data=None, name="selfie.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data or selfie(), content_type="image/jpeg")


def test_the_set_up_superuser_sees_no_track_and_cannot_be_granted(patrolled, client):
    from yemai.accounts.models import User

    t = patrolled
    root = User.objects.create_superuser(username="root", password="Yemai-test-2026")
    client.force_login(root)
    assert client.get(f"/api/duty/patrols/{t.east_patrol.pk}").status_code == 403
    client.force_login(t.security)
    response = post_json(client, "/api/duty/grants", {"user_id": root.pk, "reason": "x"})
    assert response.status_code in {400, 404}
    assert not SensitiveGrant.objects.exists()

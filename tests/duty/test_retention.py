"""Retention (保存期限) and erasure on request (删除权, PIPL Art. 47)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from yemai.core.models import AuditEvent, Task
from yemai.core.tasks import Runner, task_registry
from yemai.duty import retention
from yemai.duty.models import CheckIn, Patrol, TrackPoint
from yemai.duty.services import checkin_create, patrol_end, patrol_points_add, patrol_start

from .conftest import fixes, post_json, selfie

DAY = dt.timedelta(days=1)


def walked(user, *, days_ago: float, points: int = 3):
    now = timezone.now() - days_ago * DAY
    patrol, _created = patrol_start(user=user, now=now)
    patrol_points_add(user=user, patrol_id=patrol.pk, points=fixes(points, start=now), now=now)
    return patrol_end(user=user, patrol_id=patrol.pk, now=now + dt.timedelta(hours=1))


def checked_in(user, *, days_ago: float):
    now = timezone.now() - days_ago * DAY
    checkin, _created = checkin_create(user=user, lon=121.21, lat=30.21, photo=selfie(), now=now)
    return checkin


@pytest.fixture
def history(duty_town, settings):
    settings.SENSITIVE_RETENTION_DAYS = 180
    settings.BIOMETRIC_RETENTION_DAYS = 30
    t = duty_town
    t.old_patrol = walked(t.dongmen1_member, days_ago=200)
    t.recent_patrol = walked(t.dongmen1_member, days_ago=10)
    t.ancient_checkin = checked_in(t.dongmen1_member, days_ago=190)
    t.month_old_checkin = checked_in(t.dongmen1_member, days_ago=40)
    t.fresh_checkin = checked_in(t.dongmen1_member, days_ago=2)
    t.other_patrol = walked(t.ximen1_member, days_ago=5)
    t.other_checkin = checked_in(t.ximen1_member, days_ago=1)
    return t


def test_purge_removes_only_what_is_past_its_retention(history):
    t = history
    counts = retention.sensitive_purge()
    assert counts == {"points": 3, "patrols": 1, "checkins": 1, "photos": 1}
    assert set(Patrol.objects.values_list("pk", flat=True)) == {
        t.recent_patrol.pk,
        t.other_patrol.pk,
    }
    assert not TrackPoint.objects.filter(patrol_id=t.old_patrol.pk).exists()
    assert TrackPoint.objects.count() == 6
    assert not CheckIn.objects.filter(pk=t.ancient_checkin.pk).exists()
    # After 30 days the face goes; the time and place of the check-in stay.
    month_old = CheckIn.objects.get(pk=t.month_old_checkin.pk)
    assert month_old.photo == "" and month_old.photo_removed_at is not None
    assert not month_old.has_photo
    assert CheckIn.objects.get(pk=t.fresh_checkin.pk).has_photo

    record = AuditEvent.objects.get(kind="delete", object_type="duty.retention")
    assert record.detail["sensitive_purge"] == counts
    assert retention.sensitive_purge() == {"points": 0, "patrols": 0, "checkins": 0, "photos": 0}
    assert AuditEvent.objects.filter(object_type="duty.retention").count() == 1


def test_a_selfie_past_its_retention_is_gone_from_the_api(history, client):
    client.force_login(history.dongmen1_member)
    retention.sensitive_purge()
    url = f"/api/duty/checkins/{history.month_old_checkin.pk}/photo"
    assert client.get(url).status_code == 404
    detail = client.get(f"/api/duty/checkins/{history.month_old_checkin.pk}").json()
    assert detail["has_photo"] is False and detail["photo_url"] is None


def test_the_purge_command_and_the_daily_task(history):
    out = StringIO()
    call_command("sensitive", "purge", stdout=out)
    assert "purged 1 patrols (3 points), 1 check-ins and 1 selfies" in out.getvalue()
    assert AuditEvent.objects.get(object_type="duty.retention").detail["via"] == "command"

    # The daily chain: scheduling twice keeps one pending run; running it purges and
    # schedules the next day's.
    assert retention.PURGE_TASK in task_registry()
    first = retention.purge_schedule()
    assert retention.purge_schedule().pk == first.pk
    walked(history.dongmen2_member, days_ago=365)
    Task.objects.filter(pk=first.pk).update(run_at=timezone.now())
    assert Runner().run_due() == 1
    assert Task.objects.get(pk=first.pk).state == Task.State.DONE
    assert not Patrol.objects.filter(member=history.dongmen2_member).exists()
    assert Task.objects.filter(name=retention.PURGE_TASK, state=Task.State.PENDING).count() == 1


def test_the_security_administrator_erases_one_persons_data_on_request(history, client):
    t = history
    body = {"username": "dongmen1_member"}
    for not_security in (t.dongmen_head, t.town_head, t.auditor, t.dongmen1_member):
        client.force_login(not_security)
        assert post_json(client, "/api/duty/erasures", body).status_code == 403
    assert Patrol.objects.filter(member=t.dongmen1_member).count() == 2

    client.force_login(t.security)
    response = post_json(client, "/api/duty/erasures", body)
    assert response.status_code == 200
    assert response.json() == {"patrols": 2, "points": 6, "checkins": 3, "photos": 3}
    assert not Patrol.objects.filter(member=t.dongmen1_member).exists()
    assert not CheckIn.objects.filter(member=t.dongmen1_member).exists()
    # The other person's data stays.
    assert Patrol.objects.filter(member=t.ximen1_member).count() == 1
    assert CheckIn.objects.filter(member=t.ximen1_member).count() == 1
    record = AuditEvent.objects.get(kind="delete", detail__sensitive_erase__isnull=False)
    assert record.user_id == t.security.pk and record.object_id == str(t.dongmen1_member.pk)
    assert record.detail["sensitive_erase"] == response.json()

    unknown = post_json(client, "/api/duty/erasures", {"username": "nobody"})
    assert unknown.status_code == 404


def test_a_security_administrator_erases_only_inside_their_scope(history, client):
    from tests.factories import make_user
    from yemai.accounts.roles import Role

    ximen_security = make_user("ximen_security", Role.SECURITY_ADMIN, history.ximen)
    client.force_login(ximen_security)
    response = post_json(client, "/api/duty/erasures", {"username": "dongmen1_member"})
    assert response.status_code == 404
    assert Patrol.objects.filter(member=history.dongmen1_member).count() == 2


def test_the_erase_command(history):
    out = StringIO()
    call_command("sensitive", "erase", "--user", "ximen1_member", stdout=out)
    assert "erased ximen1_member: 1 patrols (3 points), 1 check-ins, 1 selfies" in out.getvalue()
    assert not Patrol.objects.filter(member=history.ximen1_member).exists()
    record = AuditEvent.objects.get(detail__sensitive_erase__isnull=False)
    assert record.detail["via"] == "command" and record.user_id is None
    with pytest.raises(CommandError, match="No account named nobody"):
        call_command("sensitive", "erase", "--user", "nobody")
    with pytest.raises(CommandError, match="security administrator"):
        call_command("sensitive", "erase", "--user", "dongmen1_member", "--by", "dongmen_head")
    assert Patrol.objects.filter(member=history.dongmen1_member).count() == 2

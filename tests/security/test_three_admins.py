"""三员分立: system, security and audit administrators each do only their own work."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from yemai.accounts.models import LoginLock, User
from yemai.accounts.roles import Role
from yemai.core.models import AuditEvent


@pytest.fixture
def admins(town):
    town.sysadmin = make_user("sysadmin", Role.SYSTEM_ADMIN, town.town)
    town.secadmin = make_user("secadmin", Role.SECURITY_ADMIN, town.town)
    return town


def _change_form(client, user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "scope": user.scope_id or "",
        "department": user.department_id or "",
        "granted_tags": '["社区矫正"]' if changes.pop("tags", False) else "[]",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data)


def test_the_system_administrator_cannot_read_the_audit_log(admins, client):
    client.force_login(admins.sysadmin)
    assert client.get("/admin/core/auditevent/").status_code == 403
    event = AuditEvent.objects.first()
    assert client.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 403
    assert (
        client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_the_system_administrator_cannot_grant_roles_or_tags(admins, client):
    client.force_login(admins.sysadmin)
    member = admins.dongmen1_member
    response = _change_form(client, member, role=Role.TOWN_HEAD, tags=True, first_name="新名")
    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.first_name == "新名"  # account keeping: yes
    assert member.role == Role.MEMBER and member.granted_tags == []  # authorising: no


def test_the_security_administrator_grants_roles_and_it_is_audited(admins, client):
    client.force_login(admins.secadmin)
    member = admins.dongmen1_member
    response = _change_form(client, member, role=Role.MICRO_LEADER, tags=True)
    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.role == Role.MICRO_LEADER and member.granted_tags == ["社区矫正"]
    event = AuditEvent.objects.filter(kind="permission", object_id=str(member.pk)).latest("pk")
    assert event.username == "secadmin"
    assert event.detail["changes"]["role"] == [Role.MEMBER, Role.MICRO_LEADER]
    assert "granted_tags" in event.detail["changes"]


def test_nobody_raises_their_own_rights_or_makes_an_administrator(admins, client):
    client.force_login(admins.secadmin)
    response = _change_form(client, admins.secadmin, role=Role.TOWN_HEAD)
    admins.secadmin.refresh_from_db()
    assert admins.secadmin.role == Role.SECURITY_ADMIN
    response = _change_form(client, admins.dongmen1_member, role=Role.AUDIT_ADMIN)
    assert response.status_code == 200  # not a valid choice
    admins.dongmen1_member.refresh_from_db()
    assert admins.dongmen1_member.role == Role.MEMBER


def test_the_audit_administrator_cannot_change_users(admins, client):
    client.force_login(admins.auditor)
    assert client.get("/admin/accounts/user/").status_code == 403
    response = _change_form(client, admins.dongmen1_member, role=Role.TOWN_HEAD)
    assert response.status_code == 403
    assert client.get("/admin/core/auditevent/").status_code == 200


def test_the_security_administrator_unlocks_and_resets_the_second_factor(admins, client):
    from django.test import Client

    from tests.security.helpers import sign_in

    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="10.0.0.9"), "operator", "Wrong-pass-1")
    assert LoginLock.objects.filter(key="user:operator", locked_until__isnull=False).exists()
    User.objects.filter(pk=admins.operator.pk).update(totp_secret="ABCDEFGHIJKLMNOP")
    for user, allowed in [(admins.sysadmin, False), (admins.secadmin, True)]:
        client.force_login(user)
        for action in ["unlock", "reset_second_factor"]:
            client.post(
                "/admin/accounts/user/",
                {"action": action, "_selected_action": [admins.operator.pk], "index": 0},
            )
        locked = LoginLock.objects.filter(key="user:operator").exists()
        assert locked is not allowed, user
    operator = User.objects.get(pk=admins.operator.pk)
    assert operator.totp_secret == "" and operator.totp_confirmed_at is None
    assert sign_in(Client(REMOTE_ADDR="10.0.0.10"), "operator").status_code == 302


def test_demo_accounts_with_the_published_password_fail_the_check_outside_the_demo(town, settings):
    from yemai.core.demo.logins import DEMO_PASSWORD
    from yemai.core.security.checks import check_no_demo_password

    settings.DEMO = False
    assert check_no_demo_password(None) == []
    User.objects.create_user(username="admin", password=DEMO_PASSWORD, is_superuser=True)
    errors = check_no_demo_password(None)
    assert [e.id for e in errors] == ["yemai.S001"]
    settings.DEMO = True
    assert check_no_demo_password(None) == []

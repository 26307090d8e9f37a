"""The security administrator's grants page in the admin site (/admin/duty/sensitivegrant/):
lists the grants in scope, gives one (with a reason) and revokes one, each through
duty.services and audited; nobody else gets in."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_user
from yemai.accounts.roles import Role
from yemai.core.models import AuditEvent
from yemai.duty import services
from yemai.duty.models import SensitiveGrant

URL = "/admin/duty/sensitivegrant/"


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def grant_events(user, what: str):
    return AuditEvent.objects.filter(
        kind="permission", object_id=str(user.pk), detail__sensitive_grant=what
    )


def test_the_security_administrator_sees_the_grants_in_scope(duty_town):
    t = duty_town
    services.sensitive_grant(actor=t.security, user_id=t.dongmen_head.pk, reason="考勤复核")
    response = signed_in(t.security).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "dongmen_head" in page and "考勤复核" in page and "<td>security</td>" in page
    # The form offers grid staff, not administrators and not someone who holds it already.
    options = page[page.index('name="user"') :]
    options = options[: options.index("</select>")]
    assert "ximen1_member" in options and "dongmen1_leader" in options
    assert "dongmen_head" not in options and "auditor" not in options
    assert ">security" not in options


def test_the_admin_index_links_to_the_page_for_the_security_administrator_only(duty_town):
    t = duty_town
    assert URL in signed_in(t.security).get("/admin/").content.decode()
    assert URL not in signed_in(t.town_head).get("/admin/").content.decode()


def test_giving_a_grant_stores_it_audits_it_and_says_so(duty_town):
    t = duty_town
    client = signed_in(t.security)
    response = client.post(
        URL, {"user": t.dongmen1_leader.pk, "reason": "本周外勤打卡复核"}, follow=True
    )
    assert response.redirect_chain == [(URL, 302)]
    page = response.content.decode()
    assert "may now see whereabouts and selfies" in page
    grant = SensitiveGrant.objects.get(user=t.dongmen1_leader)
    assert grant.granted_by == t.security and grant.reason == "本周外勤打卡复核"
    event = grant_events(t.dongmen1_leader, "granted").get()
    assert event.user_id == t.security.pk and event.detail["reason"] == "本周外勤打卡复核"
    assert f'id="grant-{t.dongmen1_leader.pk}"' in page


def test_a_grant_without_a_reason_is_refused_and_nothing_is_stored(duty_town):
    t = duty_town
    response = signed_in(t.security).post(URL, {"user": t.dongmen1_leader.pk, "reason": "  "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not SensitiveGrant.objects.exists()
    assert not grant_events(t.dongmen1_leader, "granted").exists()


def test_an_administrator_cannot_be_chosen(duty_town):
    t = duty_town
    response = signed_in(t.security).post(URL, {"user": t.auditor.pk, "reason": "x"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not SensitiveGrant.objects.exists()


def test_an_account_outside_the_scope_cannot_be_chosen(duty_town):
    t = duty_town
    village_security = make_user("dm_security", Role.SECURITY_ADMIN, t.dongmen)
    client = signed_in(village_security)
    page = client.get(URL).content.decode()
    assert "ximen1_member" not in page and "dongmen1_member" in page
    client.post(URL, {"user": t.ximen1_member.pk, "reason": "x"})
    assert not SensitiveGrant.objects.exists()


def test_revoking_removes_the_grant_and_audits_it(duty_town):
    t = duty_town
    services.sensitive_grant(actor=t.security, user_id=t.dongmen_head.pk, reason="考勤复核")
    client = signed_in(t.security)
    response = client.post(f"{URL}{t.dongmen_head.pk}/revoke/", follow=True)
    assert response.redirect_chain == [(URL, 302)]
    page = response.content.decode()
    assert "Grant revoked." in page and "Nobody in your scope holds the grant." in page
    assert not SensitiveGrant.objects.exists()
    assert grant_events(t.dongmen_head, "revoked").get().user_id == t.security.pk
    # Revoking again says it is not held, and writes nothing.
    page = client.post(f"{URL}{t.dongmen_head.pk}/revoke/", follow=True).content.decode()
    assert "does not hold the grant" in page
    assert grant_events(t.dongmen_head, "revoked").count() == 1


def test_revoking_needs_a_post(duty_town):
    t = duty_town
    services.sensitive_grant(actor=t.security, user_id=t.dongmen_head.pk, reason="考勤复核")
    response = signed_in(t.security).get(f"{URL}{t.dongmen_head.pk}/revoke/")
    assert response.status_code == 405
    assert SensitiveGrant.objects.exists()


def test_the_pages_forms_need_the_csrf_token(duty_town):
    t = duty_town
    client = signed_in(t.security, enforce_csrf_checks=True)
    response = client.post(URL, {"user": t.dongmen1_leader.pk, "reason": "x"})
    assert response.status_code == 403
    assert not SensitiveGrant.objects.exists()


@pytest.mark.parametrize("who", ["town_head", "dongmen_head", "auditor", "sysadmin"])
def test_nobody_but_the_security_administrator_gets_in(duty_town, who):
    t = duty_town
    t.sysadmin = make_user("sysadmin", Role.SYSTEM_ADMIN, t.town)
    services.sensitive_grant(actor=t.security, user_id=t.dongmen1_leader.pk, reason="考勤复核")
    client = signed_in(getattr(t, who))
    response = client.get(URL)
    assert response.status_code == 403 and "考勤复核" not in response.content.decode()
    assert client.post(URL, {"user": t.ximen1_member.pk, "reason": "x"}).status_code == 403
    assert client.post(f"{URL}{t.dongmen1_leader.pk}/revoke/").status_code == 403
    assert list(SensitiveGrant.objects.values_list("user__username", flat=True)) == [
        "dongmen1_leader"
    ]


def test_a_signed_out_visitor_is_sent_to_the_admin_sign_in(duty_town):
    response = Client().get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

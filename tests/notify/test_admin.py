"""Admin pages of the outbox: secrets never shown whole, phones masked, scopes kept."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import reverse

from yemai.notify.choices import NoticeState
from yemai.notify.models import Channel, Notice
from yemai.notify.services import channel_create, notice_send

pytestmark = pytest.mark.django_db

ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_SECRET = "SECb5ab53d6f2f7a1e9c0d4e8f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2"


@pytest.fixture
def robots(town):
    dongmen = channel_create(
        grid=town.dongmen,
        kind="wecom",
        name="东门社区网格群",
        secrets={
            "webhook_url": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}"
        },
    )
    ximen = channel_create(
        grid=town.ximen,
        kind="dingtalk",
        name="西门村网格群",
        secrets={
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=tok0123456789",
            "secret": DING_SECRET,
        },
    )
    return dongmen, ximen


def change_url(obj):
    return reverse(f"admin:notify_{obj._meta.model_name}_change", args=[obj.pk])


def test_a_channel_page_never_shows_its_secrets_whole(town, client, robots):
    dongmen, ximen = robots
    client.force_login(town.operator)
    for channel, hidden in ((dongmen, ROBOT_KEY), (ximen, DING_SECRET)):
        response = client.get(change_url(channel))
        assert response.status_code == 200
        page = response.content.decode()
        assert hidden not in page and "tok0123456789" not in page
    page = client.get(change_url(ximen)).content.decode()
    assert "https://oapi.dingtalk.com/…" in page and "SEC…c2" in page
    listing = client.get(reverse("admin:notify_channel_changelist")).content.decode()
    assert ROBOT_KEY not in listing and DING_SECRET not in listing


def test_a_manager_adds_a_channel_through_the_admin_and_its_secret_is_encrypted(town, client):
    client.force_login(town.operator)
    response = client.post(
        reverse("admin:notify_channel_add"),
        {
            "grid": town.dongmen.pk,
            "kind": "wecom",
            "name": "东门1微网格群",
            "config": "{}",
            "new_secrets": json.dumps(
                {"webhook_url": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}"}
            ),
            "enabled": "on",
            "rate_per_minute": "20",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get(name="东门1微网格群")
    assert ROBOT_KEY in channel.secret_values()["webhook_url"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM notify_channel WHERE id = %s", [channel.pk])
        [(raw,)] = cursor.fetchall()
    assert ROBOT_KEY not in raw


def test_saving_a_channel_without_new_secrets_keeps_the_old_ones(town, client, robots):
    dongmen, _ = robots
    client.force_login(town.operator)
    response = client.post(
        change_url(dongmen),
        {
            "name": "东门网格群（新）",
            "config": "{}",
            "new_secrets": "",
            "enabled": "on",
            "rate_per_minute": "10",
        },
    )
    assert response.status_code == 302
    dongmen.refresh_from_db()
    assert dongmen.name == "东门网格群（新）" and dongmen.rate_per_minute == 10
    assert ROBOT_KEY in dongmen.secret_values()["webhook_url"]


def test_bad_channel_settings_are_a_form_error_naming_the_field(town, client):
    client.force_login(town.operator)
    response = client.post(
        reverse("admin:notify_channel_add"),
        {
            "grid": town.dongmen.pk,
            "kind": "dingtalk",
            "name": "x",
            "config": "{}",
            "new_secrets": json.dumps({"webhook_url": "not a url"}),
            "enabled": "on",
            "rate_per_minute": "60",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "rate_per_minute" in errors and "new_secrets" in errors
    assert not Channel.objects.exists()


def test_channels_outside_the_scope_are_not_found(town, client, robots):
    dongmen, ximen = robots
    client.force_login(town.ximen_head)
    assert client.get(change_url(dongmen)).status_code == 404
    assert client.get(change_url(ximen)).status_code == 200
    listing = client.get(reverse("admin:notify_channel_changelist"))
    assert [c.pk for c in listing.context["cl"].result_list] == [ximen.pk]


def test_a_member_may_look_but_not_add_channels(town, client, robots):
    client.force_login(town.dongmen1_member)
    assert client.get(reverse("admin:notify_channel_add")).status_code == 403


def test_the_notice_admin_masks_phones_and_filters_by_state(town, client, robots):
    notice = notice_send(
        phone="13812345678", grid=town.dongmen1, template="notify.test", params={"channel": "x"}
    )  # no SMS channel: given up at once
    client.force_login(town.dongmen_head)
    listing = client.get(reverse("admin:notify_notice_changelist"), {"state": "dead"})
    assert [n.pk for n in listing.context["cl"].result_list] == [notice.pk]
    page = listing.content.decode()
    assert "13812345678" not in page and "138****5678" in page
    detail = client.get(change_url(notice)).content.decode()
    assert "13812345678" not in detail and "138****5678" in detail
    pending = client.get(reverse("admin:notify_notice_changelist"), {"state": "pending"})
    assert list(pending.context["cl"].result_list) == []
    client.force_login(town.ximen_head)
    assert client.get(change_url(notice)).status_code == 404


def test_a_manager_sends_given_up_notices_again(town, client, robots):
    dongmen, _ = robots
    notice = notice_send(channel=dongmen, template="notify.test", params={"channel": "x"})
    Notice.objects.filter(pk=notice.pk).update(state=NoticeState.DEAD, attempts=30)
    url = reverse("admin:notify_notice_changelist")
    client.force_login(town.dongmen1_member)  # may look, may not resend
    client.post(url, {"action": "retry", "_selected_action": [notice.pk]})
    notice.refresh_from_db()
    assert notice.state == NoticeState.DEAD
    client.force_login(town.operator)
    response = client.post(url, {"action": "retry", "_selected_action": [notice.pk]})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.state == NoticeState.PENDING and notice.attempts == 0


def test_the_send_test_action_queues_a_test_message(town, client, robots):
    dongmen, _ = robots
    client.force_login(town.operator)
    client.post(
        reverse("admin:notify_channel_changelist"),
        {"action": "send_test", "_selected_action": [dongmen.pk]},
    )
    notice = Notice.objects.get(channel=dongmen)
    assert notice.template == "notify.test" and "东门社区网格群" in notice.text

"""``yemai notify``: an operator checks a channel from the command line."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from py_vapid import Vapid

from yemai.notify.services import channel_create

pytestmark = pytest.mark.django_db


def robot(town, receiver):
    return channel_create(
        grid=town.town,
        kind="wecom",
        name="镇网格中心群",
        secrets={"webhook_url": f"{receiver.url}/cgi-bin/webhook/send?key=k"},
    )


def test_notify_test_sends_a_message_now_and_says_so(town, receiver, capsys):
    channel = robot(town, receiver)
    call_command("notify", "test", "--channel", str(channel.pk))
    assert "sent to 镇网格中心群" in capsys.readouterr().out
    [request] = receiver.requests
    assert "镇网格中心群" in request.json["text"]["content"]


def test_notify_test_explains_a_failure(town, receiver):
    channel = robot(town, receiver)
    receiver.answer_with((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    with pytest.raises(CommandError, match="93000"):
        call_command("notify", "test", "--channel", str(channel.pk))


def test_notify_test_texts_a_phone_through_an_sms_channel_and_masks_it(town, receiver, capsys):
    channel = channel_create(
        grid=town.town,
        kind="sms",
        name="全镇短信",
        config={
            "provider": "aliyun",
            "endpoint": f"{receiver.url}/",
            "sign_name": "叶脉",
            "templates": {"notify.test": "SMS_100"},
        },
        secrets={"access_key_id": "id", "access_key_secret": "secret"},
    )
    receiver.answer_with((200, {"Code": "OK"}))
    call_command("notify", "test", "--channel", str(channel.pk), "--phone", "13812345678")
    out = capsys.readouterr().out
    assert "138****5678" in out and "13812345678" not in out
    assert receiver.requests[0].form["TemplateCode"] == "SMS_100"


def test_notify_test_refuses_an_unknown_channel(town):
    with pytest.raises(CommandError, match="no channel"):
        call_command("notify", "test", "--channel", "999")


def test_vapid_keys_prints_a_usable_key_pair(capsys):
    call_command("notify", "vapid-keys")
    out = capsys.readouterr().out
    private = out.split("YEMAI_NOTIFY_VAPID_PRIVATE_KEY=")[1].split()[0]
    assert Vapid.from_string(private).private_key is not None


def test_notify_flush_sends_again_what_a_long_outage_gave_up(town, receiver, clock, capsys):
    from yemai.notify.choices import NoticeState
    from yemai.notify.models import Notice
    from yemai.notify.services import notice_send

    from .conftest import drain

    channel = robot(town, receiver)
    notice = notice_send(channel=channel, template="notify.test", params={"channel": "x"})
    Notice.objects.filter(pk=notice.pk).update(state=NoticeState.DEAD, attempts=30)
    call_command("notify", "flush")
    drain(clock)
    assert receiver.requests == []  # given up stays given up …
    call_command("notify", "flush", "--include-dead")
    assert "1 channel(s) scheduled" in capsys.readouterr().out
    drain(clock)
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT and len(receiver.accepted) == 1  # … unless asked

"""The outbox: a notice is written with the change it reports, delivered later, in order,
within the channel's rate, folded when many wait, and retried until the channel is back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import override_settings

from yemai.core.models import Task
from yemai.notify.choices import NoticeState
from yemai.notify.models import Notice
from yemai.notify.services import (
    channel_create,
    channel_update,
    notice_flush,
    notice_retry,
    notice_send,
    template_register,
)

from .conftest import drain

pytestmark = pytest.mark.django_db

template_register("tests.case", "案件 %(number)s：%(title)s")


def wecom(town, receiver, **extra):
    return channel_create(
        grid=extra.pop("grid", town.dongmen),
        kind="wecom",
        name=extra.pop("name", "东门社区网格群"),
        secrets={"webhook_url": f"{receiver.url}/cgi-bin/webhook/send?key=k1"},
        **extra,
    )


def send(channel, n, **extra):
    return notice_send(
        channel=channel, template="tests.case", params={"number": n, "title": "电瓶车乱停"}, **extra
    )


def delivered(receiver) -> list[str]:
    return [r.json["text"]["content"] for r in receiver.accepted]


def test_a_notice_and_its_delivery_task_commit_with_the_callers_change(town, receiver):
    channel = wecom(town, receiver)
    with transaction.atomic():
        notice = send(channel, "A1")
        task = Task.objects.get(name="notify.deliver")
    assert notice.state == NoticeState.PENDING and notice.text == "案件 A1：电瓶车乱停"
    assert task.args == {"channel_id": channel.pk}
    assert notice.grid == town.dongmen


def test_a_notice_sent_in_a_rolled_back_transaction_never_goes_out(town, receiver, clock):
    channel = wecom(town, receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        send(channel, "A1")
        raise RuntimeError("the case change failed")
    assert not Notice.objects.exists() and not Task.objects.exists()
    drain(clock)
    assert receiver.requests == []


def test_it_delivers_a_notice_through_the_worker(town, receiver, clock):
    notice = send(wecom(town, receiver), "A1")
    drain(clock)
    notice.refresh_from_db()
    assert delivered(receiver) == ["案件 A1：电瓶车乱停"]
    assert notice.state == NoticeState.SENT and notice.sent_at == clock.now
    assert notice.attempts == 1 and notice.batch == notice.pk


def test_a_channel_that_is_down_loses_nothing_and_keeps_the_order(town, receiver, clock):
    """The robot answers 500 to the first four tries, then 200: every notice arrives once,
    in the order it was written."""
    channel = wecom(town, receiver)
    receiver.answer_with(*[(500, {})] * 4, (200, {"errcode": 0}))
    for n in range(1, 6):
        send(channel, f"A{n}")
    start = clock.now
    drain(clock)
    assert delivered(receiver) == [f"案件 A{n}：电瓶车乱停" for n in range(1, 6)]
    assert len(receiver.requests) == 4 + 5
    # Four failures, backed off 15, 30, 60, 120 s (±20 %) before the fifth try went out.
    assert dt.timedelta(seconds=180) <= clock.now - start <= dt.timedelta(seconds=270)
    assert set(Notice.objects.values_list("state", flat=True)) == {NoticeState.SENT}
    first = Notice.objects.order_by("id").first()
    assert first.attempts == 5 and first.last_error == ""


def test_a_failing_notice_waits_with_growing_delays(town, receiver, clock):
    channel = wecom(town, receiver)
    receiver.answer_with((503, {}))
    notice = send(channel, "A1")
    waits = []
    for _ in range(4):
        drain_once(clock)
        notice.refresh_from_db()
        assert notice.state == NoticeState.FAILED and notice.last_error == "HTTP 503"
        waits.append((notice.next_try_at - clock.now).total_seconds())
        clock.now = notice.next_try_at
    assert waits == sorted(waits)
    assert 12 <= waits[0] <= 18 and 96 <= waits[3] <= 144


def drain_once(clock):
    from yemai.core.tasks import Runner

    Runner(worker_id="once").run_due()


@override_settings(NOTIFY_MAX_ATTEMPTS=3)
def test_a_notice_is_given_up_after_its_attempts_and_can_be_retried(town, receiver, clock):
    channel = wecom(town, receiver)
    receiver.answer_with((500, {}))
    notice = send(channel, "A1")
    drain(clock)
    notice.refresh_from_db()
    assert notice.state == NoticeState.DEAD and notice.attempts == 3
    assert len(receiver.requests) == 3
    receiver.answer_with((200, {"errcode": 0}))
    assert notice_retry(notices=[notice]) == 1
    drain(clock)
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT
    assert delivered(receiver) == ["案件 A1：电瓶车乱停"]


def test_a_notice_that_can_never_go_out_is_given_up_and_the_next_one_goes(town, receiver, clock):
    channel = wecom(town, receiver)
    receiver.answer_with((400, {}), (200, {"errcode": 0}))
    bad, good = send(channel, "A1"), send(channel, "A2")
    drain(clock)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.state == NoticeState.DEAD and bad.attempts == 1 and bad.last_error == "HTTP 400"
    assert good.state == NoticeState.SENT


def test_over_the_rate_notices_wait_instead_of_failing(town, receiver, clock):
    channel = wecom(town, receiver)  # WeCom: 20 a minute
    with override_settings(NOTIFY_DIGEST_AFTER=100):
        for n in range(25):
            send(channel, f"A{n}")
        drain_once(clock)
        assert len(receiver.accepted) == 20
        waiting = Notice.objects.filter(state=NoticeState.PENDING)
        assert waiting.count() == 5
        assert set(waiting.values_list("next_try_at", flat=True)) == {
            clock.now + dt.timedelta(minutes=1)
        }
        assert not Notice.objects.filter(state__in=[NoticeState.FAILED, NoticeState.DEAD])
        drain(clock)
    assert delivered(receiver) == [f"案件 A{n}：电瓶车乱停" for n in range(25)]


def test_many_waiting_notices_are_folded_into_one_digest(town, receiver, clock):
    channel = wecom(town, receiver)
    with transaction.atomic():  # written together, before the worker looks
        for n in range(1, 13):
            send(channel, f"A{n}")
    drain(clock)
    [message] = delivered(receiver)
    lines = message.splitlines()
    assert lines[0] == "Yemai: 12 notices"
    assert lines[1:] == [f"{n}. 案件 A{n}：电瓶车乱停" for n in range(1, 13)]
    batches = set(Notice.objects.values_list("batch", flat=True))
    assert len(batches) == 1 and set(Notice.objects.values_list("state", flat=True)) == {"sent"}


def test_a_digest_never_cuts_a_notice_and_splits_when_too_long(town, receiver, clock):
    channel = wecom(town, receiver)
    title = "东门路沿街店铺出店经营，占用人行道" * 5  # about 250 bytes each
    for n in range(1, 31):
        notice_send(channel=channel, template="tests.case", params={"number": n, "title": title})
    drain(clock)
    messages = delivered(receiver)
    assert len(messages) > 1
    assert all(len(m.encode()) <= 2048 and not m.endswith("…") for m in messages)
    seen = []
    for message in messages:
        if message.startswith("Yemai: "):  # a digest: a title line, then "n. text" lines
            seen += [line.split(". ", 1)[1] for line in message.splitlines()[1:]]
        else:
            seen.append(message)
    assert seen == [f"案件 {n}：{title}" for n in range(1, 31)]  # each once, in order


def test_a_dedupe_key_sends_a_notice_once(town, receiver, clock):
    channel = wecom(town, receiver)
    first = send(channel, "A1", dedupe_key="case:1:overdue:1")
    again = send(channel, "A1", dedupe_key="case:1:overdue:1")
    assert first.pk == again.pk and Notice.objects.count() == 1
    drain(clock)
    assert len(receiver.accepted) == 1


def test_a_disabled_channel_keeps_its_notices_until_enabled(town, receiver, clock):
    channel = wecom(town, receiver, enabled=False)
    notice = send(channel, "A1")
    drain(clock)
    assert receiver.requests == []
    notice.refresh_from_db()
    assert notice.state == NoticeState.PENDING
    channel_update(channel=channel, enabled=True)
    drain(clock)
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT


def test_flush_schedules_every_channel_with_waiting_notices(town, receiver, clock):
    channel = wecom(town, receiver)
    send(channel, "A1")
    Task.objects.all().delete()  # as if the delivery task had been lost
    assert notice_flush() == 1
    drain(clock)
    assert len(receiver.accepted) == 1


def test_a_phone_notice_goes_through_the_nearest_sms_channel_and_stays_masked(
    town, receiver, clock
):
    config = {
        "provider": "aliyun",
        "endpoint": f"{receiver.url}/",
        "sign_name": "叶脉",
        "templates": {"tests.case": "SMS_1"},
    }
    keys = {"access_key_id": "id", "access_key_secret": "secret"}
    channel_create(grid=town.town, kind="sms", name="全镇短信", config=config, secrets=keys)
    near = channel_create(
        grid=town.dongmen, kind="sms", name="东门短信", config=config, secrets=keys
    )
    receiver.answer_with((200, {"Code": "OK"}))
    notice = notice_send(
        phone="138 1234 5678",
        grid=town.dongmen1,
        template="tests.case",
        params={"number": "A1", "title": "t"},
    )
    assert notice.channel == near and notice.phone == "13812345678"
    assert "13812345678" not in str(notice) and "138****5678" in str(notice)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM notify_notice WHERE id = %s", [notice.pk])
        [(raw,)] = cursor.fetchall()
    assert raw and "13812345678" not in raw  # encrypted at rest
    drain(clock)
    assert receiver.requests[0].form["PhoneNumbers"] == "13812345678"
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT


def test_a_notice_with_no_channel_to_go_through_is_kept_as_given_up(town):
    with transaction.atomic():
        notice = notice_send(
            phone="13812345678", template="tests.case", params={"number": 1, "title": "t"}
        )
    assert notice.state == NoticeState.DEAD and "No enabled SMS channel" in notice.last_error
    assert not Task.objects.exists()


def test_it_refuses_a_notice_without_one_clear_recipient(town, receiver):
    with pytest.raises(ValidationError) as none:
        notice_send(template="tests.case", params={"number": 1, "title": "t"})
    assert "recipient" in none.value.message_dict
    with pytest.raises(ValidationError) as both:
        notice_send(
            user=town.dongmen1_member,
            phone="13812345678",
            template="tests.case",
            params={"number": 1, "title": "t"},
        )
    assert "recipient" in both.value.message_dict
    with pytest.raises(ValidationError) as bad_phone:
        notice_send(phone="12345", template="tests.case", params={"number": 1, "title": "t"})
    assert bad_phone.value.message_dict


def test_it_refuses_an_unknown_template_or_missing_parameters(town, receiver):
    channel = wecom(town, receiver)
    with pytest.raises(ValidationError) as unknown:
        notice_send(channel=channel, template="tests.nothing", params={})
    assert "template" in unknown.value.message_dict
    with pytest.raises(ValidationError) as missing:
        notice_send(channel=channel, template="tests.case", params={"number": 1})
    assert "title" in missing.value.message_dict["params"][0]


def test_channel_settings_are_checked_with_the_field_named(town):
    with pytest.raises(ValidationError) as robot:
        channel_create(grid=town.town, kind="wecom", name="x", secrets={"webhook_url": "ftp://x"})
    assert "secrets" in robot.value.message_dict
    with pytest.raises(ValidationError) as rate:
        channel_create(
            grid=town.town,
            kind="dingtalk",
            name="x",
            secrets={"webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=t"},
            rate_per_minute=60,
        )
    assert "rate_per_minute" in rate.value.message_dict
    with pytest.raises(ValidationError) as sms:
        channel_create(grid=town.town, kind="sms", name="x", config={"provider": "x"})
    assert "config" in sms.value.message_dict


def test_only_grid_managers_create_channels_inside_their_scope(town):
    from django.core.exceptions import PermissionDenied

    secrets = {"webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
    with pytest.raises(PermissionDenied):
        channel_create(
            grid=town.dongmen, kind="wecom", name="x", secrets=secrets, user=town.dongmen1_member
        )
    channel = channel_create(
        grid=town.dongmen, kind="wecom", name="x", secrets=secrets, user=town.operator
    )
    assert channel.rate_per_minute == 20

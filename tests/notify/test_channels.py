"""Channel classes against a local receiver: the request each service documents, and the
answers that mean "try again later" versus "never"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from types import SimpleNamespace
from urllib.parse import quote_plus

import pytest

from yemai.notify.channels import DeliveryError, truncate_utf8
from yemai.notify.channels.robots import DingTalkRobot, WeComRobot
from yemai.notify.channels.webhook import Webhook


def channel(kind="wecom", config=None, secrets=None):
    """A stand-in for a Channel row: the classes read only these."""
    return SimpleNamespace(
        kind=kind, config=config or {}, secret_values=lambda: dict(secrets or {})
    )


def notice(text="东门路12号门口电瓶车乱停放，请处理。", **extra):
    fields = {
        "pk": 7,
        "text": text,
        "template": "case.assigned",
        "params": {"number": "A1"},
        "grid_id": None,
        "created_at": None,
        "phone": "",
        "user_id": None,
    }
    fields.update(extra)
    return SimpleNamespace(**fields)


# --- WeCom ------------------------------------------------------------------------------


def test_it_posts_a_wecom_text_message_to_the_robot_webhook(receiver):
    url = f"{receiver.url}/cgi-bin/webhook/send?key=robot-key-1"
    WeComRobot(channel(secrets={"webhook_url": url})).send(notice())
    [request] = receiver.requests
    assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": "robot-key-1"}
    assert request.headers["content-type"].startswith("application/json")
    assert request.json == {"msgtype": "text", "text": {"content": notice().text}}


def test_it_cuts_wecom_text_at_2048_bytes_without_breaking_a_character(receiver):
    url = f"{receiver.url}/send?key=k"
    long_text = "网格" * 700 + "end"  # 4,203 bytes of UTF-8
    WeComRobot(channel(secrets={"webhook_url": url})).send(notice(long_text))
    content = receiver.requests[0].json["text"]["content"]
    assert len(content.encode()) <= 2048
    assert content.endswith("…") and content[:-1] == long_text[: len(content) - 1]


@pytest.mark.parametrize(
    "text, limit",
    [("a" * 3000, 2048), ("网" * 1000, 2048), ("😀" * 600, 2048), ("短", 2048), ("网格员", 7)],
)
def test_truncate_utf8_keeps_whole_characters(text, limit):
    cut = truncate_utf8(text, limit)
    assert len(cut.encode()) <= limit
    cut.encode().decode("utf-8")  # valid UTF-8
    if len(text.encode()) <= limit:
        assert cut == text


def test_a_wecom_errcode_is_an_error_and_a_rate_errcode_is_retryable(receiver):
    robot = WeComRobot(channel(secrets={"webhook_url": f"{receiver.url}/send?key=k"}))
    receiver.answer_with((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    with pytest.raises(DeliveryError) as refused:
        robot.send(notice())
    assert not refused.value.retryable and "93000" in str(refused.value)
    receiver.answer_with((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
    with pytest.raises(DeliveryError) as busy:
        robot.send(notice())
    assert busy.value.retryable


def test_server_errors_are_retryable_and_client_errors_are_not(receiver):
    robot = WeComRobot(channel(secrets={"webhook_url": f"{receiver.url}/send?key=secret-key"}))
    for status, retryable in [(500, True), (502, True), (429, True), (404, False), (400, False)]:
        receiver.answer_with((status, {}))
        with pytest.raises(DeliveryError) as info:
            robot.send(notice())
        assert info.value.retryable is retryable, status
        assert "secret-key" not in str(info.value)  # the URL holds the key: never in errors


def test_a_robot_that_does_not_answer_is_retryable():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    robot = WeComRobot(channel(secrets={"webhook_url": f"http://127.0.0.1:{port}/send?key=k"}))
    with pytest.raises(DeliveryError) as info:
        robot.send(notice())
    assert info.value.retryable


def test_it_never_opens_anything_but_http(tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("do not read")
    robot = WeComRobot(channel(secrets={"webhook_url": f"file://{secret_file}"}))
    with pytest.raises(DeliveryError) as info:
        robot.send(notice())
    assert not info.value.retryable


def test_a_channel_without_its_secret_is_a_permanent_error():
    with pytest.raises(DeliveryError) as info:
        WeComRobot(channel(secrets={})).send(notice())
    assert not info.value.retryable and "webhook_url" in str(info.value)


# --- DingTalk ---------------------------------------------------------------------------


def test_it_signs_dingtalk_messages_with_timestamp_and_hmac_sha256(receiver):
    secret = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
    url = f"{receiver.url}/robot/send?access_token=tok"
    before = int(time.time() * 1000)
    DingTalkRobot(channel("dingtalk", secrets={"webhook_url": url, "secret": secret})).send(
        notice()
    )
    after = int(time.time() * 1000)
    [request] = receiver.requests
    assert request.query["access_token"] == "tok"
    timestamp = int(request.query["timestamp"])
    assert before <= timestamp <= after  # milliseconds
    # Independent computation, as DingTalk's guide writes it.
    expected = base64.b64encode(
        hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == expected
    assert f"sign={quote_plus(expected)}" in request.raw_query  # sent URL-encoded
    assert request.json == {"msgtype": "text", "text": {"content": notice().text}}


def test_a_dingtalk_errcode_is_an_error(receiver):
    robot = DingTalkRobot(
        channel("dingtalk", secrets={"webhook_url": f"{receiver.url}/robot/send?access_token=t"})
    )
    receiver.answer_with((200, {"errcode": 310000, "errmsg": "sign not match"}))
    with pytest.raises(DeliveryError) as refused:
        robot.send(notice())
    assert not refused.value.retryable
    receiver.answer_with((200, {"errcode": 130101, "errmsg": "send too fast"}))
    with pytest.raises(DeliveryError) as busy:
        robot.send(notice())
    assert busy.value.retryable


# --- webhook ----------------------------------------------------------------------------


def test_it_posts_a_signed_json_notice_to_a_webhook(receiver):
    hook = Webhook(
        channel("webhook", config={"url": f"{receiver.url}/hooks/yemai"}, secrets={"secret": "s3"})
    )
    hook.send(notice())
    [request] = receiver.requests
    body = request.json
    assert body["id"] == 7 and body["notices"] == [7] and body["text"] == notice().text
    assert body["template"] == "case.assigned" and body["params"] == {"number": "A1"}
    expected = "sha256=" + hmac.new(b"s3", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-yemai-signature"] == expected


def test_an_unsigned_webhook_sends_no_signature(receiver):
    Webhook(channel("webhook", config={"url": f"{receiver.url}/h"})).send(notice())
    assert "x-yemai-signature" not in receiver.requests[0].headers
    assert json.loads(receiver.requests[0].body)["text"] == notice().text

"""Web push through pywebpush: a local stand-in for the push service decrypts what it got."""

from __future__ import annotations

import base64
import json
import os

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.test import override_settings

from yemai.notify.channels.webpush import vapid_keys_generate, vapid_public_key
from yemai.notify.choices import NoticeState
from yemai.notify.models import PushSubscription
from yemai.notify.services import (
    channel_create,
    notice_send,
    push_subscription_delete,
    push_subscription_save,
)

from .conftest import drain

pytestmark = pytest.mark.django_db

PRIVATE, PUBLIC = vapid_keys_generate()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def browser(town, receiver):
    """A browser of the member of 东门1 that subscribed to push."""
    key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    sub = push_subscription_save(
        user=town.dongmen1_member,
        endpoint=f"{receiver.url}/push/v2/abc123",
        p256dh=b64url(public),
        auth=b64url(auth),
        user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/126",
    )
    channel_create(grid=town.town, kind="webpush", name="浏览器推送")
    return {"key": key, "auth": auth, "subscription": sub}


@override_settings(
    NOTIFY_VAPID_PRIVATE_KEY=PRIVATE, NOTIFY_VAPID_SUBJECT="mailto:ops@zonghan.example"
)
def test_it_pushes_an_encrypted_notice_signed_with_the_vapid_key(town, receiver, browser, clock):
    receiver.answer_with((201, {}))
    notice = notice_send(
        user=town.dongmen1_member,
        template="notify.test",
        params={"channel": "浏览器推送", "url": "/cases/17"},
    )
    assert notice.grid == town.dongmen1  # the user's own scope
    drain(clock)
    [request] = receiver.requests
    assert request.path == "/push/v2/abc123"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert int(request.headers["ttl"]) > 0
    # The push service can check who sent it (RFC 8292) …
    scheme, _, rest = request.headers["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert scheme == "vapid" and fields["k"] == PUBLIC == vapid_public_key()
    header, claims, signature = fields["t"].split(".")
    claims = json.loads(unb64url(claims))
    assert claims["aud"] == receiver.url and claims["sub"] == "mailto:ops@zonghan.example"
    raw = unb64url(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(PUBLIC))
    public.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{header}.{fields['t'].split('.')[1]}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    # … and only the browser can read it (RFC 8291).
    plain = http_ece.decrypt(
        request.body, private_key=browser["key"], auth_secret=browser["auth"], version="aes128gcm"
    )
    message = json.loads(plain)
    assert message["body"] == notice.text and message["url"] == "/cases/17"
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT


@override_settings(NOTIFY_VAPID_PRIVATE_KEY=PRIVATE)
def test_a_subscription_the_push_service_forgot_is_deleted(town, receiver, browser, clock):
    receiver.answer_with((410, {}))
    notice = notice_send(user=town.dongmen1_member, template="notify.test", params={"channel": "x"})
    drain(clock)
    notice.refresh_from_db()
    assert notice.state == NoticeState.DEAD
    assert not PushSubscription.objects.exists()


@override_settings(NOTIFY_VAPID_PRIVATE_KEY=PRIVATE)
def test_a_push_service_that_is_down_is_tried_again(town, receiver, browser, clock):
    receiver.answer_with((503, {}), (201, {}))
    notice = notice_send(user=town.dongmen1_member, template="notify.test", params={"channel": "x"})
    drain(clock)
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT and notice.attempts == 2


def test_a_user_without_a_subscription_gets_a_notice_marked_as_given_up(town, clock):
    channel_create(grid=town.town, kind="webpush", name="浏览器推送")
    with override_settings(NOTIFY_VAPID_PRIVATE_KEY=PRIVATE):
        notice = notice_send(
            user=town.ximen1_member, template="notify.test", params={"channel": "x"}
        )
        drain(clock)
    notice.refresh_from_db()
    assert notice.state == NoticeState.DEAD and "no push subscription" in notice.last_error


def test_a_browser_subscribes_once_and_can_unsubscribe(town, receiver):
    endpoint = f"{receiver.url}/push/v2/same"
    for _ in range(2):
        push_subscription_save(user=town.dongmen1_member, endpoint=endpoint, p256dh="k", auth="a")
    assert PushSubscription.objects.count() == 1
    assert push_subscription_delete(user=town.ximen1_member, endpoint=endpoint) is False
    assert push_subscription_delete(user=town.dongmen1_member, endpoint=endpoint) is True

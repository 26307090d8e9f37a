"""Group robots: WeCom (企业微信群机器人) and DingTalk (钉钉自定义机器人, 加签)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import time
import urllib.parse

from django.utils.translation import gettext as _

from .base import ChannelBackend, DeliveryError, post_json, truncate_utf8

# WeCom: errcode -1 system busy, 45009 over the API rate. DingTalk: -1 busy, 130101 sending
# too fast, 130102 too many at once. Any other code will not change by trying again.
WECOM_RETRYABLE = {-1, 45009}
DINGTALK_RETRYABLE = {-1, 130101, 130102}


def _check_errcode(answer: dict, retryable_codes: set[int]) -> None:
    code = answer.get("errcode", 0)
    if code in (0, "0", None):
        return
    with contextlib.suppress(TypeError, ValueError):
        code = int(code)
    raise DeliveryError(
        _("Robot refused: errcode %(code)s %(message)s")
        % {"code": code, "message": str(answer.get("errmsg", ""))[:200]},
        retryable=code in retryable_codes,
    )


def text_message(content: str) -> dict:
    return {"msgtype": "text", "text": {"content": content}}


class WeComRobot(ChannelBackend):
    """POST ``{"msgtype": "text", "text": {"content": …}}`` to the robot's webhook URL.

    secrets: ``{"webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"}``.
    WeCom takes at most 2,048 bytes of text: longer text is cut at a character boundary.
    """

    max_bytes = 2048

    def send(self, notice) -> None:
        url = self.secret("webhook_url")
        answer = post_json(url, text_message(truncate_utf8(notice.text, self.max_bytes)))
        _check_errcode(answer, WECOM_RETRYABLE)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(key=secret, "{timestamp}\\n{secret}")), URL-encoded."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


class DingTalkRobot(ChannelBackend):
    """POST a text message to the robot's webhook, signed with ``timestamp`` and ``sign``.

    secrets: ``{"webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=…",
    "secret": "SEC…"}`` (the 加签 secret shown when the robot is created).
    """

    # DingTalk documents no byte limit for text; 20,000 bytes keeps a digest readable.
    max_bytes = 20000

    def send(self, notice) -> None:
        url = self.secret("webhook_url")
        secret = self.secrets.get("secret")
        if secret:
            timestamp = int(time.time() * 1000)
            sign = dingtalk_sign(secret, timestamp)
            url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={sign}"
        answer = post_json(url, text_message(truncate_utf8(notice.text, self.max_bytes)))
        _check_errcode(answer, DINGTALK_RETRYABLE)

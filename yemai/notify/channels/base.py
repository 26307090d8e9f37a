"""What every channel class is: ``send(notice) -> None``, or ``DeliveryError``."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.utils.translation import gettext as _

# Read at most this much of an answer: a robot's JSON is a few dozen bytes.
MAX_ANSWER = 64 * 1024


class DeliveryError(Exception):
    """A notice did not go out. ``retryable``: the same notice may go out later (network
    down, server error, rate limit); otherwise it never will as it is (bad number, bad
    template, key refused) and waiting is pointless."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class ChannelBackend:
    """Base of the channel classes; one instance per channel row and delivery run."""

    #: the longest text the channel accepts, in UTF-8 bytes (None: no practical limit)
    max_bytes: int | None = None

    def __init__(self, channel):
        self.channel = channel
        self.config = channel.config or {}
        self.secrets = channel.secret_values()

    def send(self, notice) -> None:
        raise NotImplementedError

    def secret(self, key: str) -> str:
        value = self.secrets.get(key)
        if not value or not isinstance(value, str):
            raise DeliveryError(
                _("The channel has no secret %(key)s") % {"key": key}, retryable=False
            )
        return value


def truncate_utf8(text: str, limit: int) -> str:
    """At most ``limit`` bytes of UTF-8, never cutting a character; "…" marks a cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    mark = "…"
    return data[: limit - len(mark.encode())].decode("utf-8", "ignore") + mark


def check_url(url: str) -> str:
    """Only http(s) URLs: a channel must never read a local file (file://) or anything else."""
    if urllib.parse.urlsplit(url or "").scheme not in {"http", "https"}:
        raise DeliveryError(
            _("The channel URL must start with http:// or https://"), retryable=False
        )
    return url


def http_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST and return (status, answer). No answer, 5xx, 408 and 429 are retryable errors;
    another 4xx is not. Error texts never contain the URL (it may hold a key)."""
    request = urllib.request.Request(  # noqa: S310 (http and https only: check_url)
        check_url(url), data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 (scheme checked above)
            request, timeout=settings.NOTIFY_HTTP_TIMEOUT_S
        ) as response:
            return response.status, response.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
        retryable = status >= 500 or status in {408, 429}
        raise DeliveryError(
            _("HTTP %(status)s") % {"status": status}, retryable=retryable
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(
            _("No answer: %(reason)s") % {"reason": reason}, retryable=True
        ) from None


def post_json(url: str, payload: dict, headers: dict[str, str] | None = None) -> dict:
    """POST a JSON object and return the JSON object answered (an empty dict for no body)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    _status, answer = http_post(
        url, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    )
    return parse_json(answer)


def parse_json(answer: bytes) -> dict:
    if not answer.strip():
        return {}
    try:
        value = json.loads(answer)
    except ValueError:
        # A proxy's error page where the service should answer: try again later.
        raise DeliveryError(_("The answer is not JSON"), retryable=True) from None
    return value if isinstance(value, dict) else {}

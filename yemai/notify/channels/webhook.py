"""A generic webhook: POST the notice as JSON, optionally signed (``X-Yemai-Signature``)."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.utils import timezone

from .base import ChannelBackend, check_url, http_post

SIGNATURE_HEADER = "X-Yemai-Signature"


def webhook_signature(secret: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of the exact body bytes, keyed with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhook(ChannelBackend):
    """config: ``{"url": "https://…"}``; secrets (optional): ``{"secret": "…"}`` to sign.

    The receiver checks ``X-Yemai-Signature`` against its own HMAC of the body and may reject
    a ``sent_at`` older than a few minutes (replays). Any 2xx answer is success.
    """

    max_bytes = 64 * 1024

    def send(self, notice) -> None:
        url = check_url(self.config.get("url", ""))
        payload = {
            "id": notice.pk,
            "notices": getattr(notice, "folded_ids", None) or [notice.pk],
            "template": notice.template,
            "params": notice.params,
            "text": notice.text,
            "grid": notice.grid.code if notice.grid_id else None,
            "created_at": notice.created_at.isoformat() if notice.created_at else None,
            "sent_at": timezone.now().isoformat(),
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        secret = self.secrets.get("secret")
        if secret:
            headers[SIGNATURE_HEADER] = webhook_signature(secret, body)
        http_post(url, body, headers)

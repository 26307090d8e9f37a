"""Web push (浏览器推送) to the PWA, with VAPID keys from the settings (pywebpush).

``YEMAI_NOTIFY_VAPID_PRIVATE_KEY`` (base64url, from ``yemai notify vapid-keys``) signs every
push; the browser subscribed with the matching public key (``vapid_public_key()``). A push
service that answers 404 or 410 has forgotten the subscription: it is deleted.
"""

from __future__ import annotations

import base64
import json

from django.conf import settings
from django.utils.translation import gettext as _

from .base import ChannelBackend, DeliveryError, check_url


def vapid_keys_generate() -> tuple[str, str]:
    """A new (private, public) VAPID key pair, both base64url without padding."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(private), _b64url(public)


def vapid_public_key() -> str:
    """The public key the PWA passes to ``pushManager.subscribe`` (applicationServerKey)."""
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    if not settings.NOTIFY_VAPID_PRIVATE_KEY:
        return ""
    vapid = Vapid.from_string(settings.NOTIFY_VAPID_PRIVATE_KEY)
    return _b64url(
        vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class WebPush(ChannelBackend):
    """Pushes the notice to every browser the notice's user subscribed."""

    max_bytes = 3000  # push services accept about 4 KB encrypted

    def send(self, notice) -> None:
        from py_vapid import Vapid
        from pywebpush import WebPushException, webpush

        from ..models import PushSubscription

        if not settings.NOTIFY_VAPID_PRIVATE_KEY:
            raise DeliveryError(_("Web push has no VAPID key in the settings"), retryable=False)
        subscriptions = list(PushSubscription.objects.filter(user_id=notice.user_id))
        if not subscriptions:
            raise DeliveryError(_("The user has no push subscription"), retryable=False)
        vapid = Vapid.from_string(settings.NOTIFY_VAPID_PRIVATE_KEY)
        data = json.dumps(
            {
                "title": "叶脉 Yemai",
                "body": notice.text,
                "notice": notice.pk,
                "url": (notice.params or {}).get("url", "/"),
            },
            ensure_ascii=False,
        )
        delivered, retry = 0, None
        for sub in subscriptions:
            try:
                webpush(
                    subscription_info={
                        "endpoint": check_url(sub.endpoint),
                        "keys": {"p256dh": sub.p256dh, "auth": sub.auth},
                    },
                    data=data,
                    vapid_private_key=vapid,
                    vapid_claims={"sub": settings.NOTIFY_VAPID_SUBJECT},
                    timeout=settings.NOTIFY_HTTP_TIMEOUT_S,
                    ttl=24 * 3600,
                )
                delivered += 1
            except WebPushException as exc:
                status = exc.status_code
                if status in (404, 410):
                    sub.delete()
                elif status is None or status >= 500 or status == 429:
                    retry = _("Push service: %(status)s") % {"status": status or "-"}
            except Exception as exc:  # requests' connection errors, timeouts
                retry = _("Push service: %(error)s") % {"error": type(exc).__name__}
        if delivered:
            return
        if retry:
            raise DeliveryError(retry, retryable=True)
        raise DeliveryError(_("No push subscription accepted the notice"), retryable=False)

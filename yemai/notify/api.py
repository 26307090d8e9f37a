"""The push-subscription API (/api/notify/push) the member app (PWA) uses for web push.

The app asks for the server's VAPID public key, subscribes with the browser's
``pushManager``, and stores the subscription here; signing out of a phone removes it. A
subscription belongs to the signed-in user: nobody can list or remove another's.
"""

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from . import services

router = Router(tags=["notifications"])


class PushKeysIn(Schema):
    p256dh: str = Field(..., max_length=200)
    auth: str = Field(..., max_length=100)


class PushSubscriptionIn(Schema):
    endpoint: str = Field(..., max_length=2000)
    keys: PushKeysIn


class PushEndpointIn(Schema):
    endpoint: str = Field(..., max_length=2000)


class PushKeyOut(Schema):
    public_key: str
    enabled: bool


@router.get("/push/key", response=PushKeyOut, summary="The VAPID public key for subscribing")
def push_key(request):
    from .channels.webpush import vapid_public_key

    key = vapid_public_key()
    return {"public_key": key, "enabled": bool(key)}


@router.post(
    "/push/subscriptions", response={201: dict}, summary="Store this browser's subscription"
)
def push_subscribe(request, payload: PushSubscriptionIn):
    sub = services.push_subscription_save(
        user=request.user,
        endpoint=payload.endpoint,
        p256dh=payload.keys.p256dh,
        auth=payload.keys.auth,
        user_agent=request.headers.get("User-Agent", ""),
    )
    return Status(201, {"id": sub.pk, "detail": _("Notifications are on for this browser")})


@router.post(
    "/push/unsubscribe", response={200: dict}, summary="Remove this browser's subscription"
)
def push_unsubscribe(request, payload: PushEndpointIn):
    removed = services.push_subscription_delete(user=request.user, endpoint=payload.endpoint)
    return {"removed": removed}

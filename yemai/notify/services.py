"""Writes to the outbox and the channels.

``notice_send`` is what other apps call, inside their own transaction: the notice row and its
delivery task commit with the change they report, or not at all. It never fails because a
channel is missing or down (that must not undo a case's state change): such a notice is
stored as given up, with the reason, for the admin to see and retry.
"""

from __future__ import annotations

import copy
import hashlib
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.core import statements
from yemai.core.refcache import ReferenceCache
from yemai.core.tasks import task_enqueue
from yemai.core.validators import normalize_mobile
from yemai.grids.models import GridNode

from .channels.base import DeliveryError, check_url
from .choices import GROUP_KINDS, ChannelKind, NoticeState, SmsProviderKind
from .models import Channel, Notice, PushSubscription
from .texts import template_register, template_render

__all__ = [
    "channel_check",
    "channel_create",
    "channel_pick",
    "channel_update",
    "notice_flush",
    "notice_retry",
    "notice_send",
    "push_subscription_delete",
    "push_subscription_save",
    "template_register",
]

ROBOT_MAX_RATE = 20  # WeCom and DingTalk: at most 20 messages a minute per robot


def _deliver_later(channel: Channel) -> None:
    # One pending delivery task per channel: it drains the channel's queue in order.
    task_enqueue(
        name="notify.deliver",
        args={"channel_id": channel.pk},
        dedupe_key=f"notify.deliver:{channel.pk}",
    )


# --- channels ----------------------------------------------------------------------------


def _enabled_channels(kind: str) -> list[Channel]:
    return list(Channel.objects.filter(kind=kind, enabled=True).select_related("grid"))


# Enabled channels by kind: every notice to a person picks one.
_channels = ReferenceCache(
    "notify.enabled_channels", _enabled_channels, models=("notify.Channel", "grids.GridNode")
)


def channel_pick(*, kind: str, grid: GridNode | None) -> Channel | None:
    """The enabled channel of ``kind`` nearest at or above ``grid`` (any one without a grid)."""
    channels = _channels.get(kind)
    if grid is not None:
        above = [c for c in channels if grid.path.startswith(c.grid.path)]
        chosen = max(above, key=lambda c: (len(c.grid.path), -c.pk)) if above else None
    else:
        chosen = min(channels, key=lambda c: (len(c.grid.path), c.pk), default=None)
    return copy.copy(chosen) if chosen is not None else None  # the cached one is shared


def channel_check(*, kind: str, config: dict, secrets: dict, rate: int) -> None:
    """ValidationError naming the field when a channel's settings cannot work."""
    errors: dict[str, list[str]] = {}

    def need_url(where: dict, key: str, field: str) -> None:
        try:
            check_url(str(where.get(key) or ""))
        except DeliveryError:
            errors.setdefault(field, []).append(
                _("%(key)s must be an http:// or https:// URL") % {"key": key}
            )

    if kind not in ChannelKind.values:
        errors["kind"] = [_("Unknown channel kind")]
    if not isinstance(config, dict):
        errors["config"] = [_("Settings must be a JSON object")]
        config = {}
    if not isinstance(secrets, dict):
        errors["secrets"] = [_("Secrets must be a JSON object")]
        secrets = {}
    if kind in (ChannelKind.WECOM, ChannelKind.DINGTALK):
        need_url(secrets, "webhook_url", "secrets")
        if rate == 0 or rate > ROBOT_MAX_RATE:
            errors["rate_per_minute"] = [
                _("A robot accepts at most %(n)s messages a minute") % {"n": ROBOT_MAX_RATE}
            ]
    elif kind == ChannelKind.WEBHOOK:
        need_url(config, "url", "config")
    elif kind == ChannelKind.SMS:
        provider = config.get("provider")
        if provider not in SmsProviderKind.values:
            errors.setdefault("config", []).append(
                _("provider must be one of: %(names)s")
                % {"names": ", ".join(SmsProviderKind.values)}
            )
        if not config.get("sign_name"):
            errors.setdefault("config", []).append(
                _("sign_name (the approved signature) is required")
            )
        if not isinstance(config.get("templates"), dict) or not config["templates"]:
            errors.setdefault("config", []).append(
                _("templates must map template codes to the provider's approved templates")
            )
        if provider == SmsProviderKind.TENCENT and not config.get("sdk_app_id"):
            errors.setdefault("config", []).append(_("sdk_app_id is required for Tencent"))
        keys = {
            "aliyun": ("access_key_id", "access_key_secret"),
            "tencent": ("secret_id", "secret_key"),
        }
        missing = [k for k in keys.get(provider, ()) if not secrets.get(k)]
        if missing:
            errors.setdefault("secrets", []).append(
                _("Missing secrets: %(keys)s") % {"keys": ", ".join(missing)}
            )
        for key in ("endpoint",):
            if config.get(key):
                need_url(config, key, "config")
    if errors:
        raise ValidationError(errors)


def _require_manage(user, grid: GridNode) -> None:
    if user is None:
        return
    if not getattr(user, "can_manage_grids", False):
        raise PermissionDenied(_("You may not manage notification channels"))
    if not GridNode.objects.restrict(user).filter(pk=grid.pk).exists():
        raise ValidationError({"grid": [_("This grid is outside your scope")]})


@transaction.atomic
def channel_create(
    *,
    grid: GridNode,
    kind: str,
    name: str,
    config: dict | None = None,
    secrets: dict | None = None,
    enabled: bool = True,
    rate_per_minute: int | None = None,
    user=None,
) -> Channel:
    """A new channel; robots default to (and may not exceed) 20 messages a minute."""
    _require_manage(user, grid)
    if rate_per_minute is None:
        rate_per_minute = ROBOT_MAX_RATE if kind in (ChannelKind.WECOM, ChannelKind.DINGTALK) else 0
    config, secrets = config or {}, secrets or {}
    channel_check(kind=kind, config=config, secrets=secrets, rate=rate_per_minute)
    channel = Channel(
        grid=grid,
        kind=kind,
        name=(name or "").strip(),
        config=config,
        secrets=json.dumps(secrets, ensure_ascii=False) if secrets else "",
        enabled=enabled,
        rate_per_minute=rate_per_minute,
    )
    channel.full_clean()
    channel.save()
    return channel


@transaction.atomic
def channel_update(
    *,
    channel: Channel,
    user=None,
    name: str | None = None,
    config: dict | None = None,
    secrets: dict | None = None,
    enabled: bool | None = None,
    rate_per_minute: int | None = None,
) -> Channel:
    """Change a channel; ``secrets=None`` keeps the stored ones. Notices that waited for a
    disabled or broken channel go out once it is enabled again."""
    _require_manage(user, channel.grid)
    if name is not None:
        channel.name = name.strip()
    if config is not None:
        channel.config = config
    if secrets is not None:
        channel.secrets = json.dumps(secrets, ensure_ascii=False) if secrets else ""
    if enabled is not None:
        channel.enabled = enabled
    if rate_per_minute is not None:
        channel.rate_per_minute = rate_per_minute
    channel_check(
        kind=channel.kind,
        config=channel.config,
        secrets=channel.secret_values(),
        rate=channel.rate_per_minute,
    )
    channel.full_clean()
    channel.save()
    if (
        channel.enabled
        and channel.notices.filter(state__in=[NoticeState.PENDING, NoticeState.FAILED]).exists()
    ):
        _deliver_later(channel)
    return channel


# --- notices -----------------------------------------------------------------------------


def notice_send(
    *,
    template: str,
    params: dict | None = None,
    channel: Channel | None = None,
    user=None,
    phone: str = "",
    grid: GridNode | None = None,
    text: str | None = None,
    dedupe_key: str | None = None,
) -> Notice:
    """Put a notice in the outbox and schedule its delivery, in the caller's transaction.

    Recipient: ``channel`` (a group robot or webhook), ``user`` (web push) or ``phone``
    (SMS, through ``channel`` if given, else the nearest SMS channel above ``grid``).
    ``text`` overrides the template's text; ``dedupe_key`` makes a second call with the same
    key return the first notice instead of sending again. The key is unique in the table:
    the insert itself finds the first notice (no read before every write: most keys are new,
    as they name a fresh event).
    """
    if sum(bool(x) for x in (user, phone)) > 1 or not (channel or user or phone):
        raise ValidationError(
            {"recipient": [_("Give one recipient: a channel, a user or a phone")]}
        )
    params = dict(params or {})
    if text is None:
        text = template_render(template, params)
    if phone:
        try:
            phone = normalize_mobile(phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from None
        route = channel or channel_pick(kind=ChannelKind.SMS, grid=grid)
        wanted = ChannelKind.SMS
    elif user:
        grid = grid or getattr(user, "scope", None)
        route = channel or channel_pick(kind=ChannelKind.WEBPUSH, grid=grid)
        wanted = ChannelKind.WEBPUSH
    else:
        route, wanted = channel, None
        if channel.kind not in GROUP_KINDS:
            raise ValidationError(
                {"recipient": [_("A notice to this channel needs a user or a phone")]}
            )
    if route is not None and wanted and route.kind != wanted:
        raise ValidationError({"channel": [_("This channel cannot reach that recipient")]})
    notice = Notice(
        grid=grid or (route.grid if route else None),
        channel=route,
        user=user or None,
        phone=phone,
        template=template,
        params=params,
        text=text,
        next_try_at=timezone.now(),
        dedupe_key=dedupe_key or None,
    )
    if route is None:
        notice.state = NoticeState.DEAD
        notice.last_error = _("No enabled %(kind)s channel") % {"kind": ChannelKind(wanted).label}
    # The related rows were read from the database just now: no need to look them up again.
    notice.full_clean(exclude=["dedupe_key", "grid", "channel", "user"], validate_unique=False)
    # Checks above, writes below: a refusal (ValidationError) leaves the caller's transaction
    # as it was, so the writes need no savepoint of their own.
    with transaction.atomic(savepoint=False):
        try:
            statements.insert(notice, guard_unique=True)
        except IntegrityError:
            if dedupe_key:  # sent before, or by a concurrent transaction just now
                existing = Notice.objects.filter(dedupe_key=dedupe_key).first()
                if existing is not None:
                    return existing
            raise
        if route is not None and route.enabled:
            _deliver_later(route)
    return notice


@transaction.atomic
def notice_retry(*, notices, user=None) -> int:
    """Send failed or given-up notices again with a fresh set of attempts (admin action)."""
    retried = 0
    channels: dict[int, Channel] = {}
    for notice in notices:
        if notice.state not in (NoticeState.FAILED, NoticeState.DEAD) or notice.channel is None:
            continue
        if user is not None and not Notice.objects.restrict(user).filter(pk=notice.pk).exists():
            continue
        Notice.objects.filter(pk=notice.pk).update(
            state=NoticeState.PENDING, attempts=0, next_try_at=timezone.now()
        )
        channels[notice.channel_id] = notice.channel
        retried += 1
    for channel in channels.values():
        if channel.enabled:
            _deliver_later(channel)
    return retried


def notice_flush(*, include_dead: bool = False) -> int:
    """Schedule delivery for every enabled channel with notices waiting (``notify flush``:
    after a worker was down for long, or tasks were given up); with ``include_dead``, also
    send again the notices given up during a long outage."""
    if include_dead:
        notice_retry(
            notices=Notice.objects.filter(
                state=NoticeState.DEAD, channel__enabled=True
            ).select_related("channel")
        )
    channels = Channel.objects.filter(
        enabled=True, notices__state__in=[NoticeState.PENDING, NoticeState.FAILED]
    ).distinct()
    for channel in channels:
        _deliver_later(channel)
    return len(channels)


# --- web push subscriptions ----------------------------------------------------------------


def _endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


@transaction.atomic
def push_subscription_save(
    *, user, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Store (or refresh) the browser subscription the PWA got from ``pushManager``."""
    try:
        check_url(endpoint)
    except DeliveryError:
        raise ValidationError(
            {"endpoint": [_("The endpoint must be an http:// or https:// URL")]}
        ) from None
    digest = _endpoint_hash(endpoint)
    sub = PushSubscription.objects.filter(endpoint_hash=digest).first() or PushSubscription(
        endpoint_hash=digest
    )
    sub.user, sub.endpoint, sub.p256dh, sub.auth = user, endpoint, p256dh, auth
    sub.user_agent = (user_agent or "")[:300]
    sub.full_clean(exclude=["endpoint_hash"])
    sub.save()
    return sub


@transaction.atomic
def push_subscription_delete(*, user, endpoint: str) -> bool:
    deleted, _detail = PushSubscription.objects.filter(
        user=user, endpoint_hash=_endpoint_hash(endpoint)
    ).delete()
    return bool(deleted)

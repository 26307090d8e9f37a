"""Channel classes, one per kind; each has ``send(notice) -> None`` or raises
``DeliveryError(retryable=…)``."""

from __future__ import annotations

from ..choices import ChannelKind
from .base import ChannelBackend, DeliveryError, truncate_utf8
from .robots import DingTalkRobot, WeComRobot
from .sms import Sms
from .webhook import Webhook
from .webpush import WebPush

BACKENDS: dict[str, type[ChannelBackend]] = {
    ChannelKind.WECOM: WeComRobot,
    ChannelKind.DINGTALK: DingTalkRobot,
    ChannelKind.SMS: Sms,
    ChannelKind.WEBHOOK: Webhook,
    ChannelKind.WEBPUSH: WebPush,
}


def backend_for(channel) -> ChannelBackend:
    try:
        return BACKENDS[channel.kind](channel)
    except KeyError:
        raise DeliveryError(f"unknown channel kind {channel.kind!r}", retryable=False) from None


__all__ = ["BACKENDS", "ChannelBackend", "DeliveryError", "backend_for", "truncate_utf8"]

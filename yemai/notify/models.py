"""The notification outbox (通知发件箱) and the channels it is delivered through."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yemai.core.fields import EncryptedTextField
from yemai.core.masking import mask_phone
from yemai.core.scoping import ScopedModel

from .choices import ChannelKind, NoticeState


class Channel(ScopedModel):
    """A way out (通知渠道): a WeCom or DingTalk group robot, an SMS account, a webhook, web push.

    ``config`` holds what may be shown (SMS signature and template codes, endpoint URLs
    without keys); ``secrets`` holds webhook keys, signing secrets and access keys as one JSON
    object, encrypted at rest and never shown whole. A channel belongs to a grid node: its
    managers see it, and a phone notice about a grid goes through the nearest SMS channel
    at or above it.
    """

    grid = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="notify_channels",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    secrets = EncryptedTextField(_("secrets"), blank=True, default="")
    enabled = models.BooleanField(_("enabled"), default=True)
    rate_per_minute = models.PositiveIntegerField(
        _("messages per minute"),
        default=20,
        help_text=_("0: no limit. WeCom and DingTalk robots accept at most 20 a minute."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["grid__code", "name"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def secret_values(self) -> dict:
        """The decrypted secrets as a dict (empty when none are set)."""
        if not self.secrets:
            return {}
        try:
            value = json.loads(self.secrets)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class Notice(ScopedModel):
    """One message in the outbox (通知): written in the same transaction as the change it
    reports, delivered later by the ``notify.deliver`` task, retried until it goes out.

    The recipient is a channel (a group robot, a webhook), a user (web push) or a phone
    (SMS); ``channel`` is the way it goes out. ``batch`` is the id of the first notice of the
    message it went out in: several notices share one when folded into a digest.
    """

    grid = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    template = models.CharField(_("template"), max_length=100)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    text = models.TextField(_("text"))
    state = models.CharField(
        _("state"), max_length=10, choices=NoticeState.choices, default=NoticeState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    batch = models.PositiveBigIntegerField(_("sent in message"), null=True, blank=True)
    dedupe_key = models.CharField(
        _("dedupe key"), max_length=200, null=True, blank=True, unique=True
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["channel", "state", "id"], name="notify_notice_queue"),
            models.Index(fields=["channel", "sent_at"], name="notify_notice_sent"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.template} → {self.recipient_display}"

    @property
    def recipient_display(self) -> str:
        if self.phone:
            return mask_phone(self.phone)
        if self.user_id:
            return str(self.user)
        return str(self.channel) if self.channel_id else "-"


class PushSubscription(ScopedModel):
    """A browser's web push subscription (浏览器推送订阅) for one user, from the PWA."""

    scope_field = "user__scope"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
    )
    endpoint = models.TextField(_("endpoint"))
    endpoint_hash = models.CharField(max_length=64, unique=True, editable=False)
    p256dh = models.CharField(_("public key (p256dh)"), max_length=200)
    auth = models.CharField(_("auth secret"), max_length=100)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.user} · {self.user_agent[:40] or self.endpoint[:40]}"

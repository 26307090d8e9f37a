"""Admin for channels, the outbox and push subscriptions; scoped like everything else.

Secrets are write-only here: a form field takes new ones, the page shows only which keys are
set and a hint of each (``SEC…9f``). Phones in notices are masked.
"""

from __future__ import annotations

import urllib.parse

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from yemai.core.admin_base import ScopedModelAdmin

from . import services
from .choices import GROUP_KINDS, NoticeState
from .models import Channel, Notice, PushSubscription


def secret_hint(value) -> str:
    """Enough to recognise a secret, never enough to use it."""
    value = str(value or "")
    if value.startswith(("http://", "https://")):
        parts = urllib.parse.urlsplit(value)
        return f"{parts.scheme}://{parts.netloc}/…"
    if len(value) < 12:
        return "••••"
    return f"{value[:3]}…{value[-2:]}"


class ChannelForm(forms.ModelForm):
    config = forms.JSONField(
        label=_("settings (JSON)"),
        required=False,
        initial=dict,
        help_text=_("See docs/notifications.md for the settings of each kind."),
    )
    new_secrets = forms.JSONField(
        label=_("new secrets (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_("Leave empty to keep the stored secrets. They are never shown again."),
    )

    class Meta:
        model = Channel
        fields = ["grid", "kind", "name", "config", "enabled", "rate_per_minute"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        secrets = data.get("new_secrets")
        if secrets is None and self.instance.pk:
            secrets = self.instance.secret_values()
        try:
            services.channel_check(
                kind=data.get("kind") or self.instance.kind,
                config=data.get("config") or {},
                secrets=secrets or {},
                rate=data.get("rate_per_minute") or 0,
            )
        except ValidationError as exc:
            for field, messages_ in exc.message_dict.items():
                field = "new_secrets" if field == "secrets" else field
                self.add_error(field if field in self.fields else None, messages_)
        return data


@admin.register(Channel)
class ChannelAdmin(ScopedModelAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "grid", "enabled", "rate_per_minute", "secrets_display"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]
    list_select_related = ["grid"]
    readonly_fields = ["secrets_display"]
    actions = ["send_test"]

    def get_fields(self, request, obj=None):
        return [
            "grid",
            "kind",
            "name",
            "config",
            "new_secrets",
            "secrets_display",
            "enabled",
            "rate_per_minute",
        ]

    def get_readonly_fields(self, request, obj=None):
        # The kind decides what the settings mean, the grid who manages it: fixed once created.
        return ["grid", "kind", "secrets_display"] if obj is not None else ["secrets_display"]

    @admin.display(description=_("secrets"))
    def secrets_display(self, obj):
        values = obj.secret_values() if obj and obj.pk else {}
        if not values:
            return "-"
        return "; ".join(f"{k}: {secret_hint(v)}" for k, v in sorted(values.items()))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        common = {
            "name": data["name"],
            "config": data.get("config") or {},
            "enabled": data["enabled"],
            "rate_per_minute": data["rate_per_minute"],
            "user": request.user,
        }
        if change:
            saved = services.channel_update(channel=obj, secrets=data.get("new_secrets"), **common)
        else:
            saved = services.channel_create(
                grid=data["grid"],
                kind=data["kind"],
                secrets=data.get("new_secrets") or {},
                **common,
            )
        obj.pk = saved.pk

    @admin.action(description=_("Send a test message"))
    def send_test(self, request, queryset):
        sent = 0
        for channel in queryset:
            if channel.kind not in GROUP_KINDS:
                self.message_user(
                    request,
                    gettext(
                        "%(channel)s: test it with `yemai notify test --channel %(id)s --phone …`"
                    )
                    % {"channel": channel, "id": channel.pk},
                    messages.WARNING,
                )
                continue
            services.notice_send(
                channel=channel, template="notify.test", params={"channel": channel.name}
            )
            sent += 1
        if sent:
            self.message_user(
                request,
                ngettext("%(n)s test message queued.", "%(n)s test messages queued.", sent)
                % {"n": sent},
            )


class NoticeStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return NoticeState.choices

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


@admin.register(Notice)
class NoticeAdmin(ScopedModelAdmin):
    list_display = [
        "id",
        "created_at",
        "template",
        "recipient",
        "channel",
        "state",
        "attempts",
        "next_try_at",
        "sent_at",
        "short_error",
    ]
    list_filter = [NoticeStateFilter, "channel__kind"]
    search_fields = ["template"]
    list_select_related = ["channel", "user", "grid"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    # The phone is never shown whole: ``recipient`` masks it.
    fields = [
        "grid",
        "channel",
        "recipient",
        "template",
        "params",
        "text",
        "state",
        "attempts",
        "next_try_at",
        "last_error",
        "created_at",
        "sent_at",
        "batch",
        "dedupe_key",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return self._may_edit(request)

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        return obj.recipient_display

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return (obj.last_error or "")[:80]

    @admin.action(description=_("Send again"), permissions=["retry"])
    def retry(self, request, queryset):
        count = services.notice_retry(notices=queryset.select_related("channel"), user=request.user)
        self.message_user(
            request,
            ngettext("%(n)s notice will be sent again.", "%(n)s notices will be sent again.", count)
            % {"n": count},
        )


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ScopedModelAdmin):
    list_display = ["user", "user_agent", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    fields = ["user", "user_agent", "endpoint_display", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("endpoint"))
    def endpoint_display(self, obj):
        return secret_hint(obj.endpoint)

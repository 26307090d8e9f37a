"""The security administrator's page for the whereabouts and biometrics grant (行踪与生物识别
信息查看授权): who holds it, giving it, taking it away.

It lives in the admin site because that is where the security administrator works (roles,
scopes, restricted tags, unlocking: accounts.admin). It is one page, not Django's add/change/
delete forms: every write goes through ``duty.services`` (``sensitive_grant``,
``sensitive_revoke``), which check the role, the scope and the reason and write the audit
record; the list comes from ``duty.selectors.sensitive_grant_list``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yemai.accounts.roles import MANAGE_SECURITY

from . import selectors, services
from .models import SensitiveGrant


def _is_security_admin(user) -> bool:
    return bool(user.is_active and user.role in MANAGE_SECURITY)


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        scope = obj.scope.name if obj.scope_id else ""
        parts = [obj.username + (f" ({name})" if name else ""), obj.get_role_display(), scope]
        return " · ".join(p for p in parts if p)


class GrantForm(forms.Form):
    user = UserChoice(queryset=None, label=_("Account"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Why this person needs to see other staff's whereabouts and selfies."),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.sensitive_grant_candidates(user=actor)


@admin.register(SensitiveGrant)
class SensitiveGrantAdmin(admin.ModelAdmin):
    """One page for the security administrator: the grants in their scope, a form to give
    one and a button to revoke each. Nobody else sees it (403)."""

    def has_module_permission(self, request):
        return _is_security_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return _is_security_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("", self.admin_site.admin_view(self.grants_view), name=f"{info}_changelist"),
            path(
                "<int:user_id>/revoke/",
                self.admin_site.admin_view(require_POST(self.revoke_view)),
                name=f"{info}_revoke",
            ),
        ]

    def _require(self, request) -> None:
        if not _is_security_admin(request.user):
            raise PermissionDenied

    def grants_view(self, request):
        self._require(request)
        actor = request.user
        form = GrantForm(request.POST or None, actor=actor)
        if request.method == "POST" and form.is_valid():
            user = form.cleaned_data["user"]
            try:
                _grant, created = services.sensitive_grant(
                    actor=actor, user_id=user.pk, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                for text in exc.messages:
                    form.add_error(None, text)
            except (PermissionDenied, Http404) as exc:
                form.add_error(None, str(exc) or gettext("This account is not in your scope."))
            else:
                if created:
                    text = gettext("%(user)s may now see whereabouts and selfies in their scope.")
                else:
                    text = gettext("%(user)s already holds the grant.")
                self.message_user(request, text % {"user": user}, messages.SUCCESS)
                return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Whereabouts and biometrics grants"),
            "opts": self.opts,
            "grants": selectors.sensitive_grant_list(user=actor),
            "form": form,
        }
        return render(request, "admin/duty/sensitivegrant/grants.html", context)

    def revoke_view(self, request, user_id: int):
        self._require(request)
        try:
            services.sensitive_revoke(actor=request.user, user_id=user_id)
        except Http404:
            self.message_user(
                request, gettext("This account does not hold the grant."), messages.ERROR
            )
        else:
            self.message_user(request, gettext("Grant revoked."), messages.SUCCESS)
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

"""The admin site: any active user with a role may enter; what they see is their scope.

Its login form says plainly when a sign-in is locked (core.security.lockout); the lock itself,
the audit of every attempt and the second-factor gate work for every sign-in view
(core.security.backends, core.security.signals).
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from .security.forms import LockMessageMixin


def may_enter(user) -> bool:
    """Django's admin asks for ``is_staff``; Yemai's staff are the users with a role."""
    return bool(user.is_active and (getattr(user, "role", "") or user.is_superuser))


class YemaiAuthenticationForm(LockMessageMixin, AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not may_enter(user):
            # The same words as a wrong password: no hint that the account exists.
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class YemaiAdminSite(admin.AdminSite):
    site_header = "叶脉 Yemai"
    site_title = "叶脉 Yemai"
    index_title = _("Grid governance")
    login_form = YemaiAuthenticationForm

    def has_permission(self, request):
        return may_enter(request.user)

"""The words of a locked sign-in, for any sign-in form (the admin's, the pages' /login/)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

LOCKED_MESSAGE = _(
    "Too many failed sign-ins: signing in with this name or from this address is "
    "locked for %(minutes)s minutes. Try again later or ask the security administrator."
)


class LockMessageMixin:
    """Say plainly that a sign-in is locked (the lock itself is the backend's), the same for a
    name that exists and one that does not."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            request = getattr(self, "request", None)
            if request is not None and getattr(request, "_yemai_locked", False):
                raise forms.ValidationError(
                    LOCKED_MESSAGE, code="locked", params={"minutes": settings.LOGIN_LOCK_MINUTES}
                ) from None
            raise


class SignInForm(LockMessageMixin, AuthenticationForm):
    """For ``LoginView(authentication_form=SignInForm)`` outside the admin."""

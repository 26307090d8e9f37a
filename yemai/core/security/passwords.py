"""Password policy (口令复杂度): character classes, no reuse, maximum age, forced change.

The validators sit in ``AUTH_PASSWORD_VALIDATORS``, so the admin, ``createsuperuser``, the
password change page and every ``validate_password`` call apply them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and other characters ``password`` uses."""
    return sum(
        [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )


class CharacterClassesValidator:
    """At least ``settings.PASSWORD_MIN_CLASSES`` (3) of: upper, lower, digit, other."""

    def __init__(self, min_classes: int | None = None):
        self.min_classes = min_classes

    @property
    def required(self) -> int:
        return self.min_classes or settings.PASSWORD_MIN_CLASSES

    def validate(self, password, user=None):
        if character_classes(password) < self.required:
            raise ValidationError(
                _(
                    "This password must mix at least %(n)s of: capital letters, small letters, "
                    "digits and other characters."
                )
                % {"n": self.required},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _(
            "Your password must mix at least %(n)s of: capital letters, small letters, digits "
            "and other characters."
        ) % {"n": self.required}


class PasswordHistoryValidator:
    """Not the current password nor one of the last ``settings.PASSWORD_HISTORY`` (5)."""

    @property
    def depth(self) -> int:
        return settings.PASSWORD_HISTORY

    def _earlier(self, user) -> list[str]:
        if user is None or not getattr(user, "pk", None) or not self.depth:
            return []
        from yemai.accounts.models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
                : self.depth
            ]
        )
        from django.contrib.auth import get_user_model

        current = (
            get_user_model()._base_manager.filter(pk=user.pk).values_list("password", flat=True)
        )
        return [*current, *hashes]

    def validate(self, password, user=None):
        for encoded in self._earlier(user):
            if encoded and check_password(password, encoded):
                raise ValidationError(
                    ngettext(
                        "This password was used before: choose one different from your last "
                        "%(n)s password.",
                        "This password was used before: choose one different from your last "
                        "%(n)s passwords.",
                        self.depth,
                    )
                    % {"n": self.depth},
                    code="password_reused",
                )

    def password_changed(self, password, user=None):
        """Called after ``user.save()`` with a new password: remember its hash."""
        if user is None or not getattr(user, "pk", None) or not self.depth:
            return
        from yemai.accounts.models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[self.depth :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self):
        return ngettext(
            "Your password must differ from your last %(n)s password.",
            "Your password must differ from your last %(n)s passwords.",
            self.depth,
        ) % {"n": self.depth}


def password_expired(user, *, now=None) -> bool:
    """True when the password is older than ``settings.PASSWORD_MAX_AGE_DAYS`` (0: never)."""
    days = settings.PASSWORD_MAX_AGE_DAYS
    if not days:
        return False
    changed = user.password_changed_at or user.date_joined
    return changed is not None and (now or timezone.now()) - changed > timedelta(days=days)


def password_change_required(user) -> str:
    """Why ``user`` must change their password now ("" when they need not)."""
    if getattr(user, "must_change_password", False):
        return "initial"
    if password_expired(user):
        return "expired"
    return ""

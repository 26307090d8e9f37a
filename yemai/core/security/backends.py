"""The authentication backend: Django's, refusing a locked account name or address.

Being the backend (not a form), the lock holds for every sign-in view (the admin's, the
pages' /login/, the API's session login), and so do the audit and the second-factor gate,
which hang on Django's login signals (core.security.signals).
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from ..context import client_ip
from . import lockout


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if (
            request is not None
            and username is not None
            and lockout.locked_until(username, client_ip(request))
        ):
            request._yemai_locked = True
            raise PermissionDenied("locked")  # authenticate() stops, signals a failure
        return super().authenticate(request, username=username, password=password, **kwargs)

"""What a user must still do after a correct password: second factor, password change."""

from __future__ import annotations

import time

from django.conf import settings

from .middleware import PENDING_KEY
from .passwords import password_change_required


def pending_steps(user) -> list[str]:
    steps = []
    if settings.TOTP_REQUIRED and getattr(user, "needs_second_factor", False):
        steps.append("totp" if user.totp_confirmed_at else "totp_setup")
    if password_change_required(user):
        steps.append("password")
    return steps


def gate_after_password(request, user) -> None:
    """Called by every sign-in view once the password was right (the session is new)."""
    request.session[PENDING_KEY] = pending_steps(user)
    request.session["yemai_seen"] = time.time()


def step_done(request, step: str) -> None:
    pending = [s for s in request.session.get(PENDING_KEY, []) if s != step]
    if step == "totp":
        pending = [s for s in pending if s != "totp_setup"]
    request.session[PENDING_KEY] = pending

"""System checks for the security baseline (``yemai check``; also run by ``serve``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.db import DatabaseError


@register("security", deploy=False)
def check_no_demo_password(app_configs, **kwargs):
    """Outside the demo no account may still have the demo's published password."""
    if settings.DEMO:
        return []
    from django.contrib.auth import get_user_model

    from yemai.core.demo.logins import DEMO_PASSWORD, LOGINS

    try:
        users = list(
            get_user_model()._base_manager.filter(
                username__in=[name for name, _role, _title in LOGINS], is_active=True
            )
        )
    except DatabaseError:
        return []  # before migrate
    found = [u.username for u in users if u.check_password(DEMO_PASSWORD)]
    if not found:
        return []
    return [
        Error(
            f"accounts with the demo's published password exist: {', '.join(found)}",
            hint="Change their passwords or deactivate them (yemai changepassword NAME).",
            id="yemai.S001",
        )
    ]


@register("security", deploy=True)
def check_production_transport(app_configs, **kwargs):
    warnings = []
    if not (settings.DEMO or settings.DEBUG) and not settings.SESSION_COOKIE_SECURE:
        warnings.append(
            Warning(
                "session cookies are sent over plain http (YEMAI_SECURE_COOKIES=0)",
                hint="Serve Yemai behind TLS and leave YEMAI_SECURE_COOKIES on.",
                id="yemai.S002",
            )
        )
    return warnings

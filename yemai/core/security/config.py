"""Configuration changes (配置变更) in the audit log.

Yemai's configuration is its environment, read at start. The first request a process serves
compares the security-relevant settings with those of the last ``config`` audit record and,
when they differ, records which changed (values of secrets are never written: only whether
they changed, by a keyed digest).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import DatabaseError

PLAIN = [
    "DEBUG",
    "DEMO",
    "CIPHER",
    "ALLOWED_HOSTS",
    "PASSWORD_MIN_LENGTH",
    "PASSWORD_MIN_CLASSES",
    "PASSWORD_HISTORY",
    "PASSWORD_MAX_AGE_DAYS",
    "LOGIN_LOCK_FAILURES",
    "LOGIN_LOCK_MINUTES",
    "IDLE_TIMEOUT_MINUTES",
    "TOTP_REQUIRED",
    "AUDIT_RETENTION_DAYS",
    "SENSITIVE_RETENTION_DAYS",
    "RATE_LIMITS",
    "CSP",
    "SESSION_COOKIE_SECURE",
    "MAP_TILES",
]
SECRET = ["SECRET_KEY", "ENCRYPTION_KEYS", "LOOKUP_KEY", "BACKUP_KEY"]


def _digest(value) -> str:
    key = str(settings.LOOKUP_KEY).encode()
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:16]


def current_configuration() -> dict:
    config = {name: getattr(settings, name, None) for name in PLAIN}
    config.update({name: _digest(getattr(settings, name, "")) for name in SECRET})
    return {k: (list(v) if isinstance(v, tuple | list) else v) for k, v in config.items()}


def audit_configuration() -> dict | None:
    """Record a ``config`` event when the configuration differs from the last one recorded;
    returns the changes (None when nothing changed or the table is not there yet)."""
    from ..audit import audit_record
    from ..models import AuditEvent

    now = current_configuration()
    try:
        last = AuditEvent.objects.filter(kind="config").order_by("-pk").first()
        before = (last.detail or {}).get("settings", {}) if last else {}
        changed = sorted(k for k in now if before.get(k) != now[k])
        if not changed:
            return None
        audit_record(
            user=None,
            kind="config",
            object_type="settings",
            detail={"changed": changed, "settings": now},
            username="(system)",
        )
    except DatabaseError:
        return None  # before the first migrate
    return {"changed": changed}

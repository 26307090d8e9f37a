"""Writing the audit log."""

from __future__ import annotations

from .context import current_ip
from .models import AuditEvent


def audit_record(
    *,
    user,
    kind: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    detail: dict | None = None,
    outcome: str = "ok",
    ip: str | None = None,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        username=getattr(user, "username", "") if authenticated else "",
        ip=ip if ip is not None else (current_ip.get() or ""),
        kind=kind,
        object_type=object_type,
        object_id=object_id,
        detail=detail or {},
        outcome=outcome,
    )

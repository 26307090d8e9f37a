"""Audit records for sign-in, sign-out, permission changes and admin changes/deletions.

Connected in ``yemai.core.apps`` (``connect_signals``). Signals catch every path (admin,
API, shell, commands), not only the pages this package serves.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from ..audit import audit_record
from . import actor

PERMISSION_FIELDS = ("role", "scope_id", "granted_tags", "is_active", "is_superuser", "is_staff")


def audit_logout(user, *, reason: str = "") -> None:
    audit_record(
        user=user,
        kind="logout",
        obj=user,
        detail={"reason": reason} if reason else None,
    )


def _on_login(sender, request, user, **kwargs):
    audit_record(user=user, kind="login", obj=user, detail={"factor": "password"})
    # A person signing in through a page (any sign-in view: it has a method). A programmatic
    # login (the test client's force_login, a shell) has none and passes no gate.
    if request is not None and getattr(request, "method", None):
        from . import lockout
        from .gate import gate_after_password

        lockout.login_succeeded(user.get_username())
        gate_after_password(request, user)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    from ..context import client_ip
    from . import lockout

    username = str(credentials.get("username", ""))[:150]
    if request is not None and getattr(request, "_yemai_locked", False):
        audit_record(
            user=None,
            kind="login_failed",
            username=username,
            outcome="locked",
            object_type="accounts.user",
            detail={"reason": "locked"},
        )
        return
    now_locked = lockout.login_failed(username, client_ip(request) if request else "")
    if request is not None:
        request._yemai_locked = now_locked
    audit_record(
        user=None,
        kind="login_failed",
        username=username,
        outcome="failed",
        object_type="accounts.user",
        detail={"reason": "bad credentials", "locked": now_locked},
    )


def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_logout(user, reason=getattr(request, "_yemai_logout_reason", ""))


def _remember_permissions(sender, instance, **kwargs):
    if instance.pk is None or kwargs.get("raw"):
        instance._yemai_before = None
        return
    before = sender._base_manager.filter(pk=instance.pk).values(*PERMISSION_FIELDS).first()
    instance._yemai_before = before


def _audit_permissions(sender, instance, created, **kwargs):
    if kwargs.get("raw"):
        return
    before = getattr(instance, "_yemai_before", None)
    after = {f: getattr(instance, f) for f in PERMISSION_FIELDS}
    if created:
        changes = {f: [None, v] for f, v in after.items() if v not in (None, "", [], False)}
    else:
        if before is None:
            return
        changes = {f: [before[f], after[f]] for f in PERMISSION_FIELDS if before[f] != after[f]}
    if not changes:
        return
    acting = actor.current_user.get()
    audit_record(
        user=acting,
        kind="permission",
        obj=instance,
        detail={"account": instance.username, "created": created, "changes": changes},
    )


def _audit_admin_log(sender, instance, created, **kwargs):
    """Every add/change/delete made in the admin becomes an audit record too."""
    if not created or kwargs.get("raw"):
        return
    from django.contrib.admin.models import DELETION

    ct = instance.content_type
    audit_record(
        user=instance.user,
        kind="delete" if instance.action_flag == DELETION else "change",
        object_type=f"{ct.app_label}.{ct.model}" if ct else "",
        object_id=str(instance.object_id or ""),
        detail={"action": instance.get_action_flag_display(), "via": "admin"},
    )


def connect_signals() -> None:
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_save, pre_save

    User = get_user_model()
    user_logged_in.connect(_on_login, dispatch_uid="yemai_audit_login")
    user_logged_out.connect(_on_logout, dispatch_uid="yemai_audit_logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="yemai_audit_login_failed")
    pre_save.connect(_remember_permissions, sender=User, dispatch_uid="yemai_perm_before")
    post_save.connect(_audit_permissions, sender=User, dispatch_uid="yemai_perm_after")
    post_save.connect(_audit_admin_log, sender=LogEntry, dispatch_uid="yemai_admin_log")

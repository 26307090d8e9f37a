"""Login-failure handling (登录失败处理): N failures lock the account name and the address.

Failures are counted per account name (whether or not it exists) and per client address,
each on its own: ``settings.LOGIN_LOCK_FAILURES`` (5) failures lock that name, or that
address, for ``settings.LOGIN_LOCK_MINUTES`` (15). A success clears the name's count. The
message is the same for a locked name and a locked address, and says nothing about whether
the account exists.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from yemai.accounts.models import LoginLock


def _keys(username: str, address: str) -> list[str]:
    keys = [f"user:{(username or '').strip().lower()[:150]}"]
    if address:
        keys.append(f"addr:{address[:64]}")
    return keys


def locked_until(username: str, address: str):
    """The end of the lock on this name or this address, or None."""
    now = timezone.now()
    ends = LoginLock.objects.filter(
        key__in=_keys(username, address), locked_until__gt=now
    ).values_list("locked_until", flat=True)
    return max(ends, default=None)


def login_failed(username: str, address: str) -> bool:
    """Count one failure; returns True when this failure locks the name or the address."""
    now = timezone.now()
    window = timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    locked = False
    with transaction.atomic():
        for key in _keys(username, address):
            lock, _ = LoginLock.objects.select_for_update().get_or_create(key=key)
            # Failures older than one lock period are forgotten, and so is an ended lock.
            if (lock.last_failure and now - lock.last_failure > window) or (
                lock.locked_until and lock.locked_until <= now
            ):
                lock.failures = 0
                lock.locked_until = None
            lock.failures = F("failures") + 1 if lock.pk and lock.failures else 1
            lock.last_failure = now
            lock.save()
            lock.refresh_from_db()
            if lock.failures >= settings.LOGIN_LOCK_FAILURES and not lock.locked_until:
                LoginLock.objects.filter(pk=lock.pk).update(locked_until=now + window)
                locked = True
    return locked


def login_succeeded(username: str) -> None:
    LoginLock.objects.filter(key__in=_keys(username, "")).delete()


def unlock(*, username: str = "", address: str = "") -> int:
    """Lift the locks on a name and/or an address (the security administrator's action)."""
    keys = []
    if username:
        keys.append(_keys(username, "")[0])
    if address:
        keys.append(f"addr:{address[:64]}")
    return LoginLock.objects.filter(key__in=keys).delete()[0]

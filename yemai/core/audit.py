"""Writing, verifying and purging the audit log (安全审计).

Every record is linked to the one before it: ``prev_hash`` is that record's ``hash``, and
``hash`` is SHA-256 over the record's canonical content and ``prev_hash``. Changing, removing
or inserting one record breaks the chain at that record, which ``audit_verify`` (``yemai audit
verify``) names. Writers lock the single ``AuditChain`` row, so concurrent requests extend one
chain; ``prev_hash`` is unique besides, so a fork cannot be stored even if the lock failed.

The application never changes or deletes records (the model refuses, and the database refuses
UPDATE — a trigger, see migration core 0003). ``audit_purge`` removes only records older than
``settings.AUDIT_RETENTION_DAYS`` (at least 184 days) and moves the chain's anchor forward so
the rest still verifies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .context import current_ip
from .models import AuditChain, AuditEvent


def _canonical_time(at: datetime) -> str:
    # Milliseconds: what JSON serialisation (backups, exports) keeps of a time.
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _normalise_detail(detail) -> dict:
    # What the database gives back: tuples become lists, dates strings …
    return json.loads(json.dumps(detail or {}, cls=DjangoJSONEncoder))


def record_hash(event: AuditEvent) -> str:
    """SHA-256 over the canonical content of ``event`` and its link to the record before."""
    content = json.dumps(
        [
            _canonical_time(event.at),
            event.user_id,
            event.username,
            event.ip,
            event.kind,
            event.object_type,
            event.object_id,
            event.detail,
            event.outcome,
            event.prev_hash,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _chain_head() -> AuditChain:
    head = AuditChain.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChain.objects.get_or_create(pk=1)
        head = AuditChain.objects.select_for_update().get(pk=1)
    return head


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
    username: str = "",
) -> AuditEvent:
    """Append one record. ``username`` names the account tried when there is no user (a
    failed login)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    with transaction.atomic():
        head = _chain_head()
        event = AuditEvent(
            at=timezone.now(),
            user=user if authenticated else None,
            username=(getattr(user, "username", "") if authenticated else username)[:150],
            ip=(ip if ip is not None else (current_ip.get() or ""))[:64],
            kind=kind,
            object_type=object_type[:80],
            object_id=str(object_id)[:64],
            detail=_normalise_detail(detail),
            outcome=outcome[:20],
            prev_hash=head.last_hash,
        )
        event.hash = record_hash(event)
        event.save()
        AuditChain.objects.filter(pk=1).update(last_hash=event.hash, last_id=event.pk)
    return event


@dataclass
class VerifyResult:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify(*, progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Walk the chain from its anchor; name every record whose content or link is wrong."""
    result = VerifyResult()
    head = AuditChain.objects.filter(pk=1).first() or AuditChain()
    expected_prev = head.anchor_hash
    last = None
    rows: Iterator[AuditEvent] = (
        AuditEvent.objects.order_by("pk").filter(pk__gt=head.anchor_id).iterator(chunk_size=2000)
    )
    for event in rows:
        result.checked += 1
        if event.prev_hash != expected_prev:
            result.problems.append(
                f"record #{event.pk} ({_canonical_time(event.at)}): link to the record before "
                "is broken (a record was removed or inserted before it)"
            )
        if record_hash(event) != event.hash:
            result.problems.append(
                f"record #{event.pk} ({_canonical_time(event.at)}): content does not match its "
                "hash (the record was changed)"
            )
        expected_prev = event.hash
        last = event
        if progress and result.checked % 1000 == 0:
            progress(1000)
    if progress:
        progress(result.checked % 1000)
    if AuditChain.objects.filter(pk=1).exists():
        if last is None and head.last_id > head.anchor_id:
            result.problems.append(
                f"the log is empty but the chain head names record #{head.last_id}: "
                "records were removed"
            )
        elif last is not None and (last.pk != head.last_id or last.hash != head.last_hash):
            result.problems.append(
                f"the newest record is #{last.pk} but the chain head names #{head.last_id}: "
                "records at the end were removed or added outside the application"
            )
    return result


def audit_purge(*, now: datetime | None = None) -> int:
    """Delete records older than the retention; the chain's anchor moves to the oldest kept
    record, so verification still passes. Returns how many records went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=max(settings.AUDIT_RETENTION_DAYS, 184))
    with transaction.atomic():
        head = _chain_head()
        expired = AuditEvent.objects.filter(at__lt=cutoff, pk__gt=head.anchor_id).order_by("pk")
        # Purge a prefix of the chain only: stop at the first record young enough to keep.
        keep_from = AuditEvent.objects.filter(at__gte=cutoff).order_by("pk").first()
        if keep_from is not None:
            expired = expired.filter(pk__lt=keep_from.pk)
        last_expired = expired.last()
        if last_expired is None:
            return 0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('yemai.audit_purge', 'on', true)")
        count = expired._purge_expired()
        AuditChain.objects.filter(pk=1).update(
            anchor_hash=last_expired.hash,
            anchor_id=last_expired.pk,
            purged=head.purged + count,
        )
    return count


def audit_search(queryset, *, text: str = "", kind: str = "", since=None, until=None):
    """Filter audit records the way the audit administrator's search page does."""
    from django.db.models import Q

    if kind:
        queryset = queryset.filter(kind=kind)
    if since:
        queryset = queryset.filter(at__gte=since)
    if until:
        queryset = queryset.filter(at__lt=until)
    if text:
        queryset = queryset.filter(
            Q(username__icontains=text)
            | Q(ip__icontains=text)
            | Q(object_id=text)
            | Q(object_type__icontains=text)
        )
    return queryset

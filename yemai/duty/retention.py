"""Retention of whereabouts and biometrics (保存期限): nothing is kept longer than needed.

* Check-in selfies go after ``BIOMETRIC_RETENTION_DAYS`` (default 30): the time and place of
  the check-in stay, the face does not.
* Patrols with their points, and check-ins, go after ``SENSITIVE_RETENTION_DAYS`` (default
  180), counted from the end of the patrol (its start while it is still open) and from the
  check-in time.

``sensitive_purge`` runs every day as a durable task (a chain started whenever task runners
start, like the deadline watch) and by hand as ``yemai sensitive purge``; each run that
removes anything writes one audit record with the counts.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yemai.core.audit import audit_record

from .models import CheckIn, Patrol, TrackPoint

PURGE_TASK = "duty.sensitive_purge"


def retention_cutoffs(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(whereabouts cutoff, biometrics cutoff): rows older than these go."""
    days = settings.SENSITIVE_RETENTION_DAYS
    photo_days = min(getattr(settings, "BIOMETRIC_RETENTION_DAYS", days), days)
    return now - dt.timedelta(days=days), now - dt.timedelta(days=photo_days)


@transaction.atomic
def sensitive_purge(*, now: dt.datetime | None = None, via: str = "task") -> dict[str, int]:
    """Delete what is past its retention; return the counts (audited when not all zero)."""
    now = now or timezone.now()
    cutoff, photo_cutoff = retention_cutoffs(now)
    old_patrols = Patrol.objects.filter(
        Q(ended_at__lt=cutoff) | Q(ended_at__isnull=True, started_at__lt=cutoff)
    )
    points = TrackPoint.objects.filter(patrol__in=old_patrols.values("pk"))
    counts = {"points": points.count()}
    points.delete()
    counts["patrols"], _detail = old_patrols.delete()
    counts["checkins"], _detail = CheckIn.objects.filter(at__lt=cutoff).delete()
    counts["photos"] = CheckIn.objects.filter(
        at__lt=photo_cutoff, photo_removed_at__isnull=True
    ).update(photo="", photo_removed_at=now)
    if any(counts.values()):
        audit_record(
            user=None,
            username="system",
            kind="delete",
            object_type="duty.retention",
            detail={
                "sensitive_purge": counts,
                "via": via,
                "retention_days": settings.SENSITIVE_RETENTION_DAYS,
                "biometric_retention_days": (now - photo_cutoff).days,
            },
        )
    return counts


def purge_dedupe_key(day: dt.datetime) -> str:
    return f"{PURGE_TASK}:{day.astimezone(dt.UTC):%Y%m%d}"


def purge_schedule(*, now: dt.datetime | None = None, after: str = "") -> object:
    """Enqueue the next daily purge (03:00 UTC tomorrow); the task enqueues its successor each
    time it runs, and the dedupe key (one per day) keeps the chain single.

    ``after`` is the day (YYYYMMDD) of the run now going: its successor is always a later day,
    even when that run was started early by hand, so a run never re-enqueues itself."""
    from yemai.core.tasks import task_enqueue

    now = (now or timezone.now()).astimezone(dt.UTC)
    run_at = (now + dt.timedelta(days=1)).replace(hour=3, minute=0, second=0, microsecond=0)
    if after:
        day = dt.datetime.strptime(after, "%Y%m%d").replace(tzinfo=dt.UTC, hour=3)
        run_at = max(run_at, day + dt.timedelta(days=1))
    return task_enqueue(
        name=PURGE_TASK,
        args={"day": f"{run_at:%Y%m%d}"},
        run_at=run_at,
        dedupe_key=purge_dedupe_key(run_at),
    )

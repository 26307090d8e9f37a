"""Rate limits per client address and path prefix, counted in the database.

``settings.RATE_LIMITS`` is ``METHOD:/prefix/=COUNT/SECONDS,…`` (METHOD ``*`` for any). The
counters live in ``core.RateBucket`` (fixed windows), so every page-server process shares
them, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F


@dataclass(frozen=True)
class Rule:
    method: str
    prefix: str
    count: int
    seconds: int


def parse_rules(spec: str) -> list[Rule]:
    rules = []
    for part in (p.strip() for p in (spec or "").split(",")):
        if not part:
            continue
        try:
            left, right = part.rsplit("=", 1)
            method, prefix = left.split(":", 1)
            count, seconds = (int(x) for x in right.split("/"))
        except ValueError:
            raise ImproperlyConfigured(
                f"YEMAI_RATE_LIMITS: {part!r} must look like POST:/api/public/=30/60"
            ) from None
        if not prefix.startswith("/") or count < 1 or seconds < 1:
            raise ImproperlyConfigured(
                f"YEMAI_RATE_LIMITS: {part!r} needs a path starting with / and positive numbers"
            )
        rules.append(Rule(method.upper(), prefix, count, seconds))
    return rules


@cache
def _rules(spec: str) -> list[Rule]:
    return parse_rules(spec)


def rate_limit_hit(method: str, path: str, address: str) -> int:
    """Count this request; return seconds to wait when over a limit, else 0."""
    from ..models import RateBucket

    for index, rule in enumerate(_rules(settings.RATE_LIMITS)):
        if rule.method not in {"*", method} or not path.startswith(rule.prefix):
            continue
        now = datetime.now(UTC)
        start = int(now.timestamp()) // rule.seconds * rule.seconds
        key = f"{index}|{rule.method}|{rule.prefix}|{address}|{start}"[:200]
        with transaction.atomic():
            if not RateBucket.objects.filter(key=key).update(hits=F("hits") + 1):
                try:
                    with transaction.atomic():
                        RateBucket.objects.create(
                            key=key, window_start=datetime.fromtimestamp(start, UTC), hits=1
                        )
                except IntegrityError:
                    RateBucket.objects.filter(key=key).update(hits=F("hits") + 1)
            hits = RateBucket.objects.filter(key=key).values_list("hits", flat=True).first() or 0
        if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
            RateBucket.objects.filter(window_start__lt=now - timedelta(hours=2)).delete()
        if hits > rule.count:
            return max(1, start + rule.seconds - int(now.timestamp()))
    return 0

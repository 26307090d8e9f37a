"""Delivering one channel's queue: in order, within its rate, folded when busy, retried.

A channel's notices go out oldest first, one message at a time. When the oldest fails and
may succeed later, the whole queue waits for it (a channel that is down loses nothing and
keeps the order); when it can never succeed (a bad number, a refused key), it is given up
and the next one goes. Over the channel's rate, notices wait (``next_try_at``) instead of
failing. When more than ``NOTIFY_DIGEST_AFTER`` are waiting for a group channel, as many as
fit in one message are folded into a digest.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.core.logfilter import mask_text
from yemai.core.tasks import Defer

from .channels import DeliveryError, backend_for
from .choices import GROUP_KINDS, NoticeState
from .models import Channel, Notice
from .texts import template_render

log = logging.getLogger("yemai.notify")

MINUTE = dt.timedelta(minutes=1)
WAITING = (NoticeState.PENDING, NoticeState.FAILED)
# One run sends at most this many messages or for this long, then makes way for other tasks.
RUN_MESSAGES = 100
RUN_SECONDS = 60.0
DIGEST_SCAN = 200  # notices looked at when folding a digest


def retry_delay(attempts: int) -> dt.timedelta:
    """base·2^(n-1) seconds after the n-th failure, at most the cap, ±20 % jitter."""
    base, cap = settings.NOTIFY_RETRY_BASE_S, settings.NOTIFY_RETRY_CAP_S
    seconds = min(cap, base * 2 ** max(attempts - 1, 0))
    return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def rate_wait(channel: Channel, now: dt.datetime) -> dt.datetime | None:
    """When the channel may send again, or None if it may now. A digest counts once."""
    if not channel.rate_per_minute:
        return None
    recent: dict[int, dt.datetime] = {}
    for batch, sent_at in Notice.objects.filter(
        channel=channel, sent_at__gt=now - MINUTE
    ).values_list("batch", "sent_at"):
        recent[batch] = min(sent_at, recent.get(batch, sent_at))
    if len(recent) < channel.rate_per_minute:
        return None
    times = sorted(recent.values())
    return times[len(times) - channel.rate_per_minute] + MINUTE


def channel_deliver(*, channel_id: int) -> None:
    """Send what waits for the channel; raise ``Defer`` to be called again when it must wait."""
    channel = Channel.objects.select_related("grid").filter(pk=channel_id).first()
    if channel is None or not channel.enabled:
        return  # a disabled channel's notices wait; enabling it sends them
    backend = backend_for(channel)
    started, sent = time.monotonic(), 0
    while True:
        now = timezone.now()
        queue = Notice.objects.filter(channel=channel, state__in=WAITING).order_by("id")
        head = queue.select_related("grid").first()
        if head is None:
            return
        if head.next_try_at and head.next_try_at > now:
            raise Defer(head.next_try_at)
        wait = rate_wait(channel, now)
        if wait is not None:
            queue.filter(Q(next_try_at__isnull=True) | Q(next_try_at__lt=wait)).update(
                next_try_at=wait
            )
            raise Defer(wait)
        if sent >= RUN_MESSAGES or time.monotonic() - started > RUN_SECONDS:
            raise Defer(now)
        _send(backend, channel, _next_batch(backend, channel, queue, head))
        sent += 1


def _next_batch(backend, channel: Channel, queue, head: Notice) -> list[Notice]:
    if channel.kind not in GROUP_KINDS or queue.count() <= settings.NOTIFY_DIGEST_AFTER:
        return [head]
    limit = backend.max_bytes or 64 * 1024
    batch: list[Notice] = []
    size = len(_digest_text([], 0).encode()) + 16
    for notice in queue.select_related("grid")[:DIGEST_SCAN]:
        line = _digest_line(len(batch) + 1, notice.text)
        if batch and size + len(line.encode()) > limit:
            break
        batch.append(notice)
        size += len(line.encode())
    return batch


def _digest_line(number: int, text: str) -> str:
    return f"\n{number}. {text}"


def _digest_text(notices: list[Notice], count: int) -> str:
    head = template_render("notify.digest", {"count": count})
    return head + "".join(_digest_line(i, n.text) for i, n in enumerate(notices, 1))


def _message(channel: Channel, batch: list[Notice]) -> Notice:
    """The notice itself, or an unsaved one that stands for the digest of the batch."""
    if len(batch) == 1:
        return batch[0]
    head = batch[0]
    digest = Notice(
        pk=head.pk,
        channel=channel,
        grid=head.grid,
        template="notify.digest",
        params={"count": len(batch)},
        text=_digest_text(batch, len(batch)),
        created_at=head.created_at,
    )
    digest.folded_ids = [n.pk for n in batch]
    return digest


def _send(backend, channel: Channel, batch: list[Notice]) -> None:
    ids = [n.pk for n in batch]
    try:
        backend.send(_message(channel, batch))
    except DeliveryError as exc:
        _failed(batch, str(exc), retryable=exc.retryable)
        return
    except Exception as exc:  # a bug or an unexpected answer: keep the notice, try later
        log.exception("notify: channel %s crashed on notice %s", channel.pk, ids[0])
        _failed(batch, f"{type(exc).__name__}: {exc}", retryable=True)
        return
    Notice.objects.filter(pk__in=ids).update(
        state=NoticeState.SENT,
        sent_at=timezone.now(),
        batch=ids[0],
        attempts=F("attempts") + 1,
        next_try_at=None,
        last_error="",
    )
    log.info("notify: channel %s sent %s notice(s) from #%s", channel.pk, len(ids), ids[0])


def _failed(batch: list[Notice], error: str, *, retryable: bool) -> None:
    error = mask_text(error)[:2000]
    now = timezone.now()
    next_try = now + retry_delay(batch[0].attempts + 1)
    for notice in batch:
        attempts = notice.attempts + 1
        dead = not retryable or attempts >= settings.NOTIFY_MAX_ATTEMPTS
        Notice.objects.filter(pk=notice.pk).update(
            state=NoticeState.DEAD if dead else NoticeState.FAILED,
            attempts=attempts,
            next_try_at=None if dead else next_try,
            last_error=error,
        )
    log.warning(
        "notify: %s notice(s) from #%s failed (%s): %s",
        len(batch),
        batch[0].pk,
        _("will retry") if retryable else _("given up"),
        error,
    )

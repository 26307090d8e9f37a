"""Durable background tasks (后台任务): rows in the database, no broker.

A task is a plain function taking keyword arguments (fetch by id, call a service, nothing
more), registered under a name::

    @task("notify.deliver")
    def deliver(*, channel_id: int) -> None: ...

``task_enqueue(name=…, args=…)`` writes a row in the caller's transaction: the task exists
exactly when the caller's change commits. A ``Runner`` polls due rows and claims each with a
conditional UPDATE (the row's lease, ``claimed_until``); one row changed means it is ours, so
two runners never start the same task. A failure is retried with exponential backoff and
jitter up to ``max_attempts``, then the row is marked dead (kept; the admin can retry it). A
worker that dies mid-task leaves its lease behind: once the lease expires another runner
takes the task over, so a task runs *at least* once — write tasks so that running twice is
harmless. The same code runs in ``yemai worker`` processes (PostgreSQL tier) and in a thread
of ``yemai serve`` (embedded tier, SQLite).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import (
    IntegrityError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from .logfilter import mask_text
from .models import Task

log = logging.getLogger("yemai.tasks")

DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_RETRY_BASE_S = 30.0  # first retry after about 30 s, then 1, 2, 4 … minutes
DEFAULT_RETRY_CAP_S = 3600.0  # never wait more than an hour between two tries
DEFAULT_LEASE_S = 300.0  # a task still running after 5 minutes is presumed lost
KEEP_DONE = dt.timedelta(days=7)  # done rows are purged after a week; dead rows are kept

# Set on commit of every enqueue, so a runner in this process starts at once instead of at
# its next poll (the embedded tier: a notice sent from a page goes out within a second).
_wakeup = threading.Event()


class Defer(Exception):
    """Raised by a task to run again later without counting a failed attempt (a rate limit,
    a queue that must wait for its head)."""

    def __init__(self, until: dt.datetime):
        super().__init__(f"deferred until {until.isoformat()}")
        self.until = until


@dataclass(frozen=True)
class TaskSpec:
    name: str
    fn: Callable[..., object]
    max_attempts: int
    retry_base_s: float
    retry_cap_s: float
    lease_s: float

    def delay(self, attempts: int) -> dt.timedelta:
        """Wait before the next try after ``attempts`` failures: base·2^(n-1), capped, ±20 %
        jitter (so tasks that failed together do not all come back in the same second)."""
        seconds = min(self.retry_cap_s, self.retry_base_s * 2 ** max(attempts - 1, 0))
        return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.2))


T = TypeVar("T")
_registry: dict[str, TaskSpec] = {}
_discovered = False


def task(
    name: str,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    retry_base_s: float = DEFAULT_RETRY_BASE_S,
    retry_cap_s: float = DEFAULT_RETRY_CAP_S,
    lease_s: float = DEFAULT_LEASE_S,
):
    """Register a function as the task ``name`` (decorator)."""

    def register(fn):
        known = _registry.get(name)
        if known and (known.fn.__module__, known.fn.__qualname__) != (
            fn.__module__,
            fn.__qualname__,
        ):
            raise ImproperlyConfigured(f"task {name!r} is registered twice")
        _registry[name] = TaskSpec(name, fn, max_attempts, retry_base_s, retry_cap_s, lease_s)
        fn.task_name = name
        return fn

    return register


def task_registry() -> dict[str, TaskSpec]:
    """Every registered task; imports each installed app's ``tasks`` module once."""
    global _discovered
    if not _discovered:
        autodiscover_modules("tasks")
        _discovered = True
    return _registry


def task_enqueue(
    *,
    name: str,
    args: dict | None = None,
    run_at: dt.datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
) -> Task:
    """Schedule ``name(**args)`` at ``run_at`` (now by default), in the caller's transaction.

    With ``dedupe_key``, at most one such task is pending: enqueueing again returns the
    pending one, moved to the earlier of the two times; if it is running, it runs once more
    after it finishes (so work added meanwhile is not missed).
    """
    spec = task_registry().get(name)
    if spec is None:
        raise ValidationError({"name": [_("Unknown task: %(name)s") % {"name": name}]})
    run_at = run_at or timezone.now()
    args = dict(args or {})
    with transaction.atomic():
        for _try in range(3):
            if dedupe_key:
                existing = Task.objects.filter(
                    dedupe_key=dedupe_key, state=Task.State.PENDING
                ).first()
                if existing is not None:
                    updated = Task.objects.filter(pk=existing.pk, state=Task.State.PENDING).update(
                        requeued=F("requeued") + 1, run_at=Least(F("run_at"), run_at)
                    )
                    if updated:
                        existing.refresh_from_db()
                        transaction.on_commit(_wakeup.set)
                        return existing
            try:
                with transaction.atomic():
                    row = Task.objects.create(
                        name=name,
                        args=args,
                        run_at=run_at,
                        dedupe_key=dedupe_key or None,
                        max_attempts=max_attempts or spec.max_attempts,
                    )
            except IntegrityError:
                if not dedupe_key:
                    raise
                continue  # another transaction enqueued the same key first: join it
            transaction.on_commit(_wakeup.set)
            return row
    raise RuntimeError(f"could not enqueue {name} with dedupe key {dedupe_key!r}")


def task_retry(*, task_ids: list[int]) -> int:
    """Make failed, dead or waiting tasks due now with a fresh set of attempts (admin)."""
    count = 0
    for pk in task_ids:
        try:
            with transaction.atomic():
                count += (
                    Task.objects.filter(pk=pk)
                    .exclude(state=Task.State.DONE)
                    .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now()))
                    .update(
                        state=Task.State.PENDING,
                        run_at=timezone.now(),
                        attempts=0,
                        claimed_by="",
                        claimed_until=None,
                    )
                )
        except IntegrityError:
            continue  # another task with the same dedupe key is already pending
    if count:
        transaction.on_commit(_wakeup.set)
    return count


def task_purge(*, before: dt.datetime) -> int:
    """Delete tasks done before ``before``; dead ones stay for people to look at."""
    deleted, _detail = Task.objects.filter(state=Task.State.DONE, done_at__lt=before).delete()
    return deleted


def _claimable(now: dt.datetime) -> Q:
    return Q(state=Task.State.PENDING) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def _error_text(exc: BaseException) -> str:
    return mask_text(f"{type(exc).__name__}: {exc}")[:2000]


def _tidy_connection() -> None:
    """Drop a broken or too old connection between tasks (a worker lives for days; the
    database may restart). Never inside a transaction: that would end the caller's."""
    if not connection.in_atomic_block:
        close_old_connections()


def _retrying(write: Callable[[], T]) -> T:
    """A bookkeeping write after the task ran: a locked database must not lose the outcome
    (or the task would run again when its lease expires)."""
    for attempt in range(5):
        try:
            return write()
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _unknown(**kwargs) -> None:
    raise LookupError("no such task")


class Runner:
    """Claims and runs due tasks. One runner is one thread of work; run several for more."""

    def __init__(self, *, worker_id: str | None = None, poll_s: float = 1.0, batch: int = 20):
        self.worker_id = worker_id or (
            f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        )
        self.poll_s = poll_s
        self.batch = batch
        self._last_purge = 0.0

    def claim_next(self) -> Task | None:
        """Claim one due task (oldest first) or return None when none is due."""
        registry = task_registry()
        now = timezone.now()
        candidates = list(
            Task.objects.filter(_claimable(now), run_at__lte=now)
            .order_by("run_at", "id")
            .values_list("id", "name")[: self.batch]
        )
        for pk, name in candidates:
            spec = registry.get(name)
            lease = dt.timedelta(seconds=spec.lease_s if spec else DEFAULT_LEASE_S)
            claimed = Task.objects.filter(_claimable(now), pk=pk).update(
                claimed_by=self.worker_id,
                claimed_until=now + lease,
                attempts=F("attempts") + 1,
            )
            if claimed == 1:
                return _retrying(lambda pk=pk: Task.objects.get(pk=pk))
        return None

    def claim(self, pk: int) -> Task | None:
        """Claim one given task if it is pending and nobody holds it (run it now, whatever
        its ``run_at``: ``yemai notify test``, tests)."""
        now = timezone.now()
        spec = task_registry().get(
            Task.objects.filter(pk=pk).values_list("name", flat=True).first() or ""
        )
        lease = dt.timedelta(seconds=spec.lease_s if spec else DEFAULT_LEASE_S)
        claimed = Task.objects.filter(_claimable(now), pk=pk).update(
            claimed_by=self.worker_id, claimed_until=now + lease, attempts=F("attempts") + 1
        )
        return Task.objects.get(pk=pk) if claimed == 1 else None

    def execute(self, row: Task) -> str:
        """Run a claimed task and record the outcome: "done", "retry", "deferred" or "dead"."""
        spec = task_registry().get(row.name)
        mine = Task.objects.filter(pk=row.pk, claimed_by=self.worker_id)
        if spec is None:
            return self._failed(row, mine, None, _("Unknown task: %(name)s") % {"name": row.name})
        if row.attempts > row.max_attempts:
            # Claimed again and again by workers that never came back: it kills them.
            return self._failed(row, mine, spec, _("Worker lost on every attempt"))
        started = time.monotonic()
        try:
            spec.fn(**row.args)
        except Defer as defer:
            until = max(defer.until, timezone.now() + dt.timedelta(seconds=1))
            _retrying(
                lambda: mine.update(
                    run_at=until,
                    claimed_by="",
                    claimed_until=None,
                    attempts=Greatest(F("attempts") - 1, 0),
                )
            )
            return "deferred"
        except Exception as exc:
            log.warning("task %s #%s failed: %s", row.name, row.pk, _error_text(exc))
            return self._failed(row, mine, spec, _error_text(exc))
        finally:
            _tidy_connection()
        done = _retrying(
            lambda: mine.filter(requeued=row.requeued).update(
                state=Task.State.DONE,
                done_at=timezone.now(),
                claimed_until=None,
                last_error="",
            )
        )
        if not done:  # enqueued again while it ran: run once more, attempts afresh
            _retrying(
                lambda: mine.update(
                    run_at=timezone.now(), claimed_by="", claimed_until=None, attempts=0
                )
            )
        log.debug("task %s #%s done in %.3f s", row.name, row.pk, time.monotonic() - started)
        return "done"

    def _failed(self, row: Task, mine, spec: TaskSpec | None, error: str) -> str:
        # An unknown name is retried too: a worker still running older code than the web
        # process that enqueued it is replaced soon in a rolling upgrade.
        spec = spec or TaskSpec(
            row.name, _unknown, row.max_attempts, DEFAULT_RETRY_BASE_S, DEFAULT_RETRY_CAP_S, 0
        )
        if row.attempts >= row.max_attempts:
            _retrying(
                lambda: mine.update(state=Task.State.DEAD, claimed_until=None, last_error=error)
            )
            log.error("task %s #%s is dead after %s attempts", row.name, row.pk, row.attempts)
            return "dead"
        run_at = timezone.now() + spec.delay(row.attempts)
        _retrying(
            lambda: mine.update(run_at=run_at, claimed_by="", claimed_until=None, last_error=error)
        )
        return "retry"

    def run_due(self, *, limit: int | None = None) -> int:
        """Run due tasks one after another until none is due; return how many ran."""
        count = 0
        while limit is None or count < limit:
            row = self.claim_next()
            if row is None:
                break
            self.execute(row)
            count += 1
        return count

    def run_forever(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; database hiccups are logged, never fatal."""
        try:
            while not stop.is_set():
                _tidy_connection()
                ran = 0
                try:
                    ran = self.run_due(limit=self.batch)
                    self._purge_hourly()
                except OperationalError as exc:
                    log.warning("task runner: database unavailable: %s", exc)
                if not ran:
                    self._idle(stop)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    def _idle(self, stop: threading.Event) -> None:
        """Wait one poll interval; an enqueue in this process or ``stop`` ends it early."""
        deadline = time.monotonic() + self.poll_s * random.uniform(0.8, 1.2)
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if _wakeup.wait(min(left, 0.25)):
                _wakeup.clear()
                return

    def _purge_hourly(self) -> None:
        if time.monotonic() - self._last_purge > 3600:
            self._last_purge = time.monotonic()
            task_purge(before=timezone.now() - KEEP_DONE)


# Periodic chains (a task that enqueues its own next run) are started, or restarted if a
# chain died, whenever runners start. Apps register their starters in AppConfig.ready().
_chain_starters: list[Callable[[], object]] = []


def periodic_chain(starter: Callable[[], object]) -> Callable[[], object]:
    """Register ``starter`` (idempotent: it enqueues with a dedupe key) to run at runner start."""
    _chain_starters.append(starter)
    return starter


def periodic_chains_start() -> int:
    for starter in _chain_starters:
        starter()
    return len(_chain_starters)


def runner_threads_start(
    stop: threading.Event, *, concurrency: int = 1, poll_s: float = 1.0, prefix: str = ""
) -> list[threading.Thread]:
    """Start ``concurrency`` runner threads (daemons) that stop when ``stop`` is set."""
    periodic_chains_start()
    base = prefix or f"{socket.gethostname()}:{os.getpid()}"
    threads = []
    for i in range(concurrency):
        runner = Runner(worker_id=f"{base}:t{i}:{uuid.uuid4().hex[:4]}", poll_s=poll_s)
        thread = threading.Thread(
            target=runner.run_forever, args=(stop,), name=f"yemai-tasks-{i}", daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads

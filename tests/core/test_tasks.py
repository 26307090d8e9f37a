"""Durable background tasks: rows in the database, claimed with a conditional UPDATE."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from yemai.core.models import Task
from yemai.core.tasks import (
    Defer,
    Runner,
    runner_threads_start,
    task,
    task_enqueue,
    task_retry,
)

runs: Counter = Counter()
runs_lock = threading.Lock()


@task("tests.record")
def record(*, key: str, pause: float = 0.0) -> None:
    if pause:
        time.sleep(pause)
    with runs_lock:
        runs[key] += 1


@task("tests.fail", max_attempts=5, retry_base_s=10, retry_cap_s=3600)
def fail(*, message: str) -> None:
    raise RuntimeError(message)


@task("tests.defer")
def defer(*, seconds: int) -> None:
    runs["defer"] += 1
    if runs["defer"] == 1:
        raise Defer(timezone.now() + dt.timedelta(seconds=seconds))


@task("tests.requeue_self")
def requeue_self() -> None:
    runs["requeue_self"] += 1
    if runs["requeue_self"] == 1:
        task_enqueue(name="tests.requeue_self", dedupe_key="self")


class Clock:
    def __init__(self):
        self.now = timezone.now().replace(microsecond=0)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture(autouse=True)
def _fresh_counts():
    runs.clear()
    yield
    runs.clear()


@pytest.mark.django_db
def test_it_runs_an_enqueued_task_with_its_arguments():
    row = task_enqueue(name="tests.record", args={"key": "a"})
    assert Runner().run_due() == 1
    row.refresh_from_db()
    assert runs == {"a": 1}
    assert row.state == Task.State.DONE and row.done_at is not None and row.attempts == 1


@pytest.mark.django_db
def test_it_never_runs_a_task_enqueued_in_a_rolled_back_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        task_enqueue(name="tests.record", args={"key": "rolled-back"})
        raise RuntimeError("the caller's change failed")
    assert not Task.objects.exists()
    assert Runner().run_due() == 0
    assert runs == {}


@pytest.mark.django_db
def test_it_refuses_an_unknown_task_name():
    with pytest.raises(ValidationError) as info:
        task_enqueue(name="tests.nothing-by-this-name")
    assert "name" in info.value.message_dict


@pytest.mark.django_db
def test_a_task_not_yet_due_waits(clock):
    task_enqueue(
        name="tests.record", args={"key": "later"}, run_at=clock.now + dt.timedelta(hours=1)
    )
    assert Runner().run_due() == 0
    clock.advance(3600)
    assert Runner().run_due() == 1
    assert runs == {"later": 1}


@pytest.mark.django_db
def test_a_failing_task_retries_with_growing_delays_then_dies(clock):
    row = task_enqueue(name="tests.fail", args={"message": "provider down"})
    runner = Runner()
    delays = []
    for _attempt in range(5):
        assert runner.run_due() == 1
        row.refresh_from_db()
        if row.state == Task.State.DEAD:
            break
        delays.append((row.run_at - clock.now).total_seconds())
        assert runner.run_due() == 0  # not before its time
        clock.now = row.run_at
    assert row.state == Task.State.DEAD
    assert row.attempts == 5
    assert "RuntimeError: provider down" in row.last_error
    assert len(delays) == 4
    assert delays == sorted(delays) and len(set(delays)) == 4  # each wait longer than the last
    assert 8 <= delays[0] <= 12 and 64 <= delays[3] <= 96  # 10 s · 2^n ± 20 %
    clock.advance(10 * 24 * 3600)
    assert runner.run_due() == 0  # dead stays dead (kept for the admin)


@pytest.mark.django_db
def test_it_masks_phone_numbers_in_the_stored_error(clock):
    row = task_enqueue(name="tests.fail", args={"message": "no answer from 13812345678"})
    Runner().run_due()
    row.refresh_from_db()
    assert "13812345678" not in row.last_error and "138****5678" in row.last_error


@pytest.mark.django_db
def test_it_keeps_one_pending_task_per_dedupe_key(clock):
    later = clock.now + dt.timedelta(minutes=10)
    first = task_enqueue(name="tests.record", args={"key": "d"}, run_at=later, dedupe_key="k")
    second = task_enqueue(name="tests.record", args={"key": "d"}, dedupe_key="k")
    assert first.pk == second.pk
    assert Task.objects.count() == 1
    assert second.run_at == clock.now  # the earlier of the two
    Runner().run_due()
    third = task_enqueue(name="tests.record", args={"key": "d"}, dedupe_key="k")
    assert third.pk != first.pk  # the first is done: a new one may wait


@pytest.mark.django_db
def test_a_task_enqueued_again_while_it_runs_runs_once_more():
    task_enqueue(name="tests.requeue_self", dedupe_key="self")
    assert Runner().run_due() == 2
    assert runs["requeue_self"] == 2
    assert list(Task.objects.values_list("state", flat=True)) == [Task.State.DONE]


@pytest.mark.django_db
def test_a_deferred_task_runs_later_without_spending_an_attempt(clock):
    row = task_enqueue(name="tests.defer", args={"seconds": 30})
    Runner().run_due()
    row.refresh_from_db()
    assert row.state == Task.State.PENDING and row.attempts == 0
    assert row.run_at == clock.now + dt.timedelta(seconds=30)
    clock.advance(30)
    Runner().run_due()
    row.refresh_from_db()
    assert row.state == Task.State.DONE and runs["defer"] == 2


@pytest.mark.django_db
def test_a_task_held_by_a_dead_worker_is_taken_over_after_its_lease(clock):
    row = task_enqueue(name="tests.record", args={"key": "orphan"})
    dead_worker = Runner(worker_id="crashed")
    assert dead_worker.claim_next().pk == row.pk  # claimed, then the process died
    survivor = Runner(worker_id="survivor")
    assert survivor.run_due() == 0  # the lease still holds
    clock.advance(299)
    assert survivor.run_due() == 0
    clock.advance(2)  # default lease: 300 s
    assert survivor.run_due() == 1
    row.refresh_from_db()
    assert row.state == Task.State.DONE and row.claimed_by == "survivor" and row.attempts == 2
    assert runs == {"orphan": 1}


@pytest.mark.django_db
def test_a_task_that_kills_every_worker_is_given_up(clock):
    row = task_enqueue(name="tests.record", args={"key": "poison"}, max_attempts=2)
    for _ in range(2):
        Runner().claim_next()  # the worker dies every time
        clock.advance(301)
    assert Runner().run_due() == 1
    row.refresh_from_db()
    assert row.state == Task.State.DEAD and "Worker lost" in row.last_error
    assert runs == {}


@pytest.mark.django_db
def test_tasks_survive_a_restart(clock):
    """Nothing lives in memory: a new runner (a restarted process) finds every row."""
    for key in ("x", "y", "z"):
        task_enqueue(
            name="tests.record", args={"key": key}, run_at=clock.now + dt.timedelta(minutes=5)
        )
    before_restart = Runner(worker_id="old-process")
    assert before_restart.run_due() == 0
    del before_restart
    clock.advance(300)
    assert Runner(worker_id="new-process").run_due() == 3
    assert runs == {"x": 1, "y": 1, "z": 1}


@pytest.mark.django_db
def test_the_admin_retries_a_dead_task(clock):
    row = task_enqueue(name="tests.fail", args={"message": "x"}, max_attempts=1)
    Runner().run_due()
    row.refresh_from_db()
    assert row.state == Task.State.DEAD
    assert task_retry(task_ids=[row.pk]) == 1
    row.refresh_from_db()
    assert row.state == Task.State.PENDING and row.attempts == 0 and row.run_at == clock.now


@pytest.mark.django_db
def test_the_task_admin_is_for_system_administrators(town, client):
    from tests.factories import make_user

    row = task_enqueue(name="tests.fail", args={"message": "x"}, max_attempts=1)
    Runner().run_due()
    url = reverse("admin:core_task_changelist")
    client.force_login(town.town_head)
    assert client.get(url).status_code == 403
    client.force_login(make_user("sysadmin", "system_admin", town.town))
    response = client.get(url, {"state": "dead"})
    assert response.status_code == 200
    assert [t.pk for t in response.context["cl"].result_list] == [row.pk]
    assert client.get(url, {"state": "done"}).context["cl"].result_list.count() == 0
    response = client.post(url, {"action": "retry_now", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.state == Task.State.PENDING


@pytest.mark.django_db
def test_worker_once_runs_what_is_due(capsys):
    task_enqueue(name="tests.record", args={"key": "cli"})
    call_command("worker", "--once")
    assert "1 task(s) run" in capsys.readouterr().out
    assert runs == {"cli": 1}


@pytest.mark.django_db(transaction=True)
def test_the_runner_thread_of_yemai_serve_runs_tasks_as_they_come():
    stop = threading.Event()
    threads = runner_threads_start(stop, poll_s=5.0)
    try:
        time.sleep(0.5)  # the runner is idle now, waiting for its next poll
        with transaction.atomic():
            task_enqueue(name="tests.record", args={"key": "embedded"})
        started = time.monotonic()
        while runs["embedded"] == 0 and time.monotonic() - started < 10:
            time.sleep(0.02)
        assert runs == {"embedded": 1}
        # Far sooner than the 5 s poll: the commit woke the runner up.
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    # SQLite's shared in-memory test database locks whole tables and does not wait; the
    # embedded tier's file database (WAL, busy timeout) is covered by two worker processes
    # in tests/notify/test_workers.py.
    reason="needs a test database that several connections write at once (PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)
def test_two_runners_never_run_the_same_task_twice():
    keys = [f"t{i}" for i in range(200)]
    for key in keys:
        task_enqueue(name="tests.record", args={"key": key, "pause": 0.001})
    stop = threading.Event()
    threads = runner_threads_start(stop, concurrency=2, poll_s=0.05)
    try:
        deadline = time.monotonic() + 60
        # Only this test's tasks: starting runners also schedules the periodic deadline watch.
        while Task.objects.filter(name="tests.record", state=Task.State.PENDING).exists():
            assert time.monotonic() < deadline, "runners did not finish"
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert sorted(runs) == sorted(keys)
    assert set(runs.values()) == {1}
    by_worker = Counter(
        Task.objects.filter(name="tests.record").values_list("claimed_by", flat=True)
    )
    assert len(by_worker) == 2  # both runners took a share

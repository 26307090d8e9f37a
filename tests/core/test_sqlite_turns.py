"""Write transactions on a SQLite file take turns (yemai.core.sqlite): threads of one process on
a Python lock, processes on an advisory file lock. With SQLite's busy timeout at zero, any
writer that found the database locked would fail at once; none does, and no write is lost."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from yemai.core.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the process turn needs fork")

ROUNDS = 40


def connect(path) -> DatabaseWrapper:
    wrapper = DatabaseWrapper(
        {
            "ENGINE": "yemai.core.sqlite",
            "NAME": str(path),
            "OPTIONS": {
                # No waiting at all: a writer that meets a held lock gets "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=0;",
                "transaction_mode": "IMMEDIATE",
            },
            "TIME_ZONE": None,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {},
        },
        alias="turns",
    )
    return wrapper


def increment(path, rounds: int, errors: list) -> None:
    """Read the counter, think, write it back: lost updates show if two writers overlap."""
    db = connect(path)
    try:
        for _ in range(rounds):
            try:
                db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
                with db.cursor() as cursor:
                    cursor.execute("SELECT n FROM counter")
                    (n,) = cursor.fetchone()
                    sum(range(2000))  # hold the turn a moment, letting others queue
                    cursor.execute("UPDATE counter SET n = %s", [n + 1])
                db.commit()
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(repr(exc))
                db.rollback()
            finally:
                db.set_autocommit(True)
    finally:
        db.close()


def counter(path) -> int:
    db = connect(path)
    try:
        with db.cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            return cursor.fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def database(tmp_path, django_db_blocker):
    """A SQLite file of its own (not the suite's database), with one counter row."""
    with django_db_blocker.unblock():
        yield _create(tmp_path)


def _create(tmp_path):
    path = tmp_path / "turns.sqlite3"
    db = connect(path)
    with db.cursor() as cursor:
        cursor.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
        cursor.execute("INSERT INTO counter VALUES (0)")
    db.close()
    return path


def test_threads_of_one_process_write_in_turn(database):
    errors: list = []
    threads = [
        threading.Thread(target=increment, args=(database, ROUNDS, errors)) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert counter(database) == 6 * ROUNDS


def _process(path, rounds, queue):
    errors: list = []
    threads = [threading.Thread(target=increment, args=(path, rounds, errors)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    queue.put(errors)


def test_processes_write_in_turn(database):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_process, args=(database, ROUNDS, queue)) for _ in range(3)]
    for process in processes:
        process.start()
    errors = [e for _ in processes for e in queue.get(timeout=120)]
    for process in processes:
        process.join(30)
    assert errors == []
    assert counter(database) == 3 * 3 * ROUNDS


def test_the_turn_is_given_back_when_a_transaction_fails(database):
    db = connect(database)
    db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    with pytest.raises(Exception, match="no such table"), db.cursor() as cursor:
        cursor.execute("UPDATE missing SET n = 1")
    db.rollback()
    db.set_autocommit(True)
    db.close()
    errors: list = []
    worker = threading.Thread(target=increment, args=(database, 3, errors))
    worker.start()
    worker.join(10)
    assert not worker.is_alive() and errors == []
    assert counter(database) == 3

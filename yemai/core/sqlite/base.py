"""Django's SQLite backend, with write transactions taking turns instead of sleeping.

SQLite lets one writer at a time hold a database. A second writer that finds it locked sleeps in
SQLite's busy handler, in steps growing to 100 ms, then tries again: with eight server threads
writing cases, the threads spent most of their time asleep while the lock stood free. Here a
write transaction first queues for the database's turn, and the next one starts the moment the
last one ends:

* the threads of one process queue on a Python lock;
* processes (``yemai serve --workers``, ``yemai worker``, the vision worker) queue on an advisory
  lock of the file ``<database>-writer`` (``flock``, POSIX), which the kernel hands to the next
  waiter at once. Elsewhere, or for a program that does not take it, the busy timeout decides.

A transaction is opened ``BEGIN IMMEDIATE`` (``transaction_mode`` in settings), so the turn is
taken when it begins and held until commit or rollback. Shared in-memory databases (the test
suite's) keep Django's behaviour: a test holds its transaction for the whole test while other
threads of the same test read through the same connection.
"""

from __future__ import annotations

import os
import threading

from django.db.backends.sqlite3 import base

try:
    import fcntl
except ImportError:  # Windows: threads take turns; processes rely on the busy timeout
    fcntl = None


class _Turn:
    """The write turn of one database file, for the threads and processes that use it."""

    def __init__(self, path: str):
        self.lock = threading.Lock()
        self.path = f"{path}-writer"
        self.fd: int | None = None
        self.pid = os.getpid()

    def acquire(self) -> None:
        self.lock.acquire()
        if fcntl is None:
            return
        try:
            if self.fd is None or self.pid != os.getpid():  # a forked child opens its own
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self.pid = os.getpid()
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError:
            # No lock file (a read-only folder): the busy timeout still keeps writers apart.
            self.fd = None
        except BaseException:
            self.lock.release()
            raise

    def release(self) -> None:
        try:
            if fcntl is not None and self.fd is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.lock.release()


_turns: dict[str, _Turn] = {}
_turns_guard = threading.Lock()


def _turn_for(name: str) -> _Turn:
    with _turns_guard:
        turn = _turns.get(name)
        if turn is None:
            turn = _turns[name] = _Turn(name)
        return turn


class DatabaseWrapper(base.DatabaseWrapper):
    _turn: _Turn | None = None

    def _start_transaction_under_autocommit(self):
        if self.is_in_memory_db():
            return super()._start_transaction_under_autocommit()
        turn = _turn_for(os.path.abspath(str(self.settings_dict["NAME"])))
        turn.acquire()
        self._turn = turn
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._turn_release()
            raise

    def _turn_release(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._turn_release()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._turn_release()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._turn_release()

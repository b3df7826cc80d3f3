"""SQLite's writers in one process: a lock per file, and API writes committed in groups.

SQLite has one writer at a time. Writers of this process wait for each
other on a lock of the process (``write_lock``, one per file, shared by
every ``Database`` on it) rather than in SQLite's busy handler, which polls
with sleeps of up to 100 ms: under concurrent writes that sleeping, not the
work, set the rate, and the p99 went past a second. Other processes on the
file still meet in the busy handler.

The API's writes waiting for the lock at once are committed together
(``WriteGroups``): each runs in a savepoint of its own, so one that raises
leaves the others as they were, and each is answered only once the group's
commit is on disk: one sync for the group, not one per write.
"""

from __future__ import annotations

import collections
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long a writer waits for the other writers of its process (``acquire``).
WRITE_LOCK_TIMEOUT_S = SQLITE_BUSY_TIMEOUT_MS / 1000
# At most this many API writes are committed together (``WriteGroups``).
GROUP_MAX = 32

# One lock per SQLite file, shared by every Database of this process on it (the
# API's and the embedded worker's).
_write_locks: dict[str, threading.RLock] = {}
_write_locks_guard = threading.Lock()


def write_lock(path: str) -> threading.RLock:
    """The lock the writers of this process take for the SQLite file at ``path``."""
    with _write_locks_guard:
        return _write_locks.setdefault(os.path.realpath(path), threading.RLock())


def locked() -> sa.exc.OperationalError:
    """What SQLite itself says after its busy timeout: the store is busy."""
    return sa.exc.OperationalError(
        "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


def acquire(lock: threading.RLock) -> None:
    """Take a file's write lock, or fail as SQLite's busy timeout fails (``locked``)."""
    if not lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):
        raise locked()


def writer_pragmas(conn: Any) -> None:
    """What every connection that may write sets: WAL, a sync per commit, the busy
    timeout and foreign keys (the engine's connections and the raw writer's)."""
    cur = conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Job:
    """A write waiting for its group: done once committed or failed."""

    __slots__ = ("call", "done", "error", "result")

    def __init__(self, call: Callable[[sa.Connection], Any]) -> None:
        self.call = call
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None

    def finish(self, error: BaseException | None = None) -> None:
        """Mark the write done: committed, or failed with ``error``."""
        if error is not None:
            self.error = error
            self.result = None
        self.done = True


class WriteGroups:
    """The writes waiting for one file's write lock, committed in groups.

    ``transaction`` opens the write transaction a group runs in (the lock
    already held), as ``Database.write`` opens its own.
    """

    def __init__(
        self,
        lock: threading.RLock,
        transaction: Callable[[], AbstractContextManager[sa.Connection]],
    ) -> None:
        self.lock = lock
        self.transaction = transaction
        self.pending: collections.deque[Job] = collections.deque()
        self._guard = threading.Lock()

    def add(self, job: Job) -> None:
        """Queue a write for the next group."""
        with self._guard:
            self.pending.append(job)

    def wait(self, job: Job) -> None:
        """Until ``job`` is done: take the write lock and run the writes waiting then, in
        one transaction, or find that a thread holding it before ran ``job``. (In a
        thread: it blocks.)"""
        lock = self.lock
        while not job.done:
            if not lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):
                with self._guard:
                    if job in self.pending:  # not taken by a group: give up on it
                        self.pending.remove(job)
                        job.finish(error=locked())
                continue  # taken: done once its group's writer lets go of the lock
            try:
                if not job.done:
                    self._run_group()
            finally:
                lock.release()

    def _run_group(self) -> None:
        """The waiting writes (at most GROUP_MAX), each in a savepoint, in one transaction."""
        with self._guard:
            jobs = [self.pending.popleft() for _ in range(min(GROUP_MAX, len(self.pending)))]
        ran: list[Job] = []
        try:
            with self.transaction() as conn:
                raw: Any = conn.connection.driver_connection
                for job in jobs:
                    ran.append(job)
                    raw.execute("SAVEPOINT leadhub_write")
                    try:
                        job.result = job.call(conn)
                    except Exception as exc:  # noqa: BLE001 - the job's own error, for its caller
                        job.error = exc
                        if not raw.in_transaction:
                            # SQLite ended the whole transaction (a full disk, say):
                            # nothing of the group is written.
                            raise
                        _end_nested(conn)
                        raw.execute("ROLLBACK TO leadhub_write")
                    raw.execute("RELEASE leadhub_write")
        except BaseException as exc:
            # Not committed: every write that ran failed with the group; those that did
            # not run wait for the next one.
            with self._guard:
                self.pending.extendleft(reversed(jobs[len(ran):]))
            for job in ran:
                job.finish(error=job.error if job.error is not None else exc)
            if not isinstance(exc, Exception):
                raise
            return
        for job in ran:
            job.finish()


def _end_nested(conn: sa.Connection) -> None:
    """Close the savepoints a failed write left open through the engine (the savepoint
    around the write is rolled back next, with everything inside it)."""
    for _ in range(100):
        nested = conn.get_nested_transaction()
        if nested is None or not nested.is_active:
            return
        nested.rollback()

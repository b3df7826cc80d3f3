"""A thread's own sqlite3 connections to the store's file, for the hottest statements.

The engine's pool checkout, events and statement handling cost more than a
point read or a prebuilt insert itself. ``RawConnections`` gives each thread
a plain read-only sqlite3 connection for point reads (``rows``, ``read``),
on the event loop's thread sharing one snapshot per pass of the loop
(``LoopSnapshot``), keeping the answers read in it for as long as nothing
is committed (store/kept.py ``KeptAnswers``), and stopped past a budget of steps
(``budget``), and a
plain writer connection for one prebuilt durable write (``write``). Only
for a SQLite file, never ``:memory:`` (a second connection must see it).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from leadhub.store import writegroups
from leadhub.store.kept import KeptAnswers
from leadhub.store.writegroups import writer_pragmas

log = logging.getLogger("leadhub")

# Page cache of the event loop's point-read connection, KiB.
FAST_CACHE_KIB = 32 * 1024
# Page cache of a worker thread's point-read connection (about SQLite's default), KiB: such
# reads go to threads while they wait for the disk, where a page cache of their own
# would hold little that the next read needs, and there are several of them.
THREAD_CACHE_KIB = 2 * 1024
# How many times SQLite looks in on a read's budget (``RawConnections.budget``).
BUDGET_CALLS = 4

Rows = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


class TooLong(Exception):
    """A read on the event loop's own connection went past its budget (``budget``)."""


# Write transactions committed by this process, any Database, any thread: a read
# snapshot older than the last of them is not reused (LoopSnapshot).
_commits = 0


def committed() -> None:
    """Count a write transaction of this process as committed (for ``LoopSnapshot``)."""
    global _commits
    _commits += 1


class LoopSnapshot:
    """The read snapshot that the point reads of one pass of the event loop share.

    Every statement ``rows`` runs in autocommit starts a read transaction
    of its own, and in WAL mode each start costs SQLite two file locks, a stat
    of the file and a look at the WAL index: more than the indexed lookup
    itself. On the event loop's thread the reads of one pass of the loop (the
    steps of every task ready at once) read one snapshot instead, opened by
    the first of them and closed by a callback the loop runs at its next pass.

    That keeps every answer as fresh as a read transaction of its own would:

    - A pass runs only tasks that were ready when it began, and a request's
      task is started by the server's I/O callback when its bytes arrive. So
      every request answered in a pass was received before the pass's
      snapshot was opened, and sees every write committed before it was sent,
      whichever process wrote it.
    - A commit of this process (any ``Database`` on any thread) ends the
      snapshot at the next read, so a request that waited for its own write
      in the same pass reads that write. (A write awaited from another thread
      is also resumed by a later pass: its wake-up is queued behind the
      callback that closes the snapshot.)
    - The snapshot never outlives the pass, so the WAL is checkpointed and
      reset as with reads of their own.
    """

    __slots__ = ("conn", "loop", "commits", "closing", "pinned", "answers", "checked")

    def __init__(self, conn: sqlite3.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self.conn = conn
        self.loop = loop
        self.commits = -1  # this process's commits when the open snapshot began
        self.closing = False  # the callback that closes it is queued
        self.pinned = 0  # reads in progress that need one snapshot for several statements
        self.answers = KeptAnswers()
        self.checked = False  # whether the answers were checked against the open snapshot

    def enter(self) -> None:
        """Make sure a snapshot of this pass, newer than this process's last commit, is open."""
        conn = self.conn
        if conn.in_transaction:
            if self.commits == _commits or self.pinned:
                return
            conn.execute("COMMIT")
        conn.execute("BEGIN")
        self.commits = _commits
        self.checked = False
        if not self.closing:
            self.closing = True
            self.loop.call_soon(self.close)

    def kept(self) -> KeptAnswers:
        """The answers kept for the snapshot of this pass (opened if need be): emptied
        if any connection has committed since they were read."""
        self.enter()
        if not self.checked:
            # Read inside the snapshot: the version it was opened at.
            version = self.conn.execute("PRAGMA data_version").fetchone()[0]
            answers = self.answers
            if version != answers.version:
                answers.start(version)
            self.checked = True
        return self.answers

    def close(self) -> None:
        """End the snapshot (the loop's next pass)."""
        if self.pinned:  # not across passes (its reads are synchronous), but never kept
            self.loop.call_soon(self.close)
            return
        self.closing = False
        try:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")
        except sqlite3.Error:  # closed with the store (Database.dispose)
            log.debug("closing a loop snapshot failed", exc_info=True)


class RawConnections:
    """Each thread's own read-only and writer sqlite3 connections to one file.

    ``path`` is None where there is no such file (PostgreSQL, SQLite in
    memory): then only ``shared_snapshots`` may be used, and does nothing.
    """

    def __init__(self, path: str | None, lock: threading.RLock | None) -> None:
        self.path = path
        self.lock = lock
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
        """Rows of one read-only SQL statement, run on this thread's own connection.

        No pool checkout and no statement compilation. A single statement reads
        one consistent snapshot by itself; on the event loop's thread
        (``shared_snapshots``) it reads the snapshot of the loop's pass
        (``LoopSnapshot``).
        """
        shared: LoopSnapshot | None = getattr(self._local, "snapshot", None)
        if shared is None:
            return self.reader().execute(sql, params).fetchall()
        shared.enter()
        return shared.conn.execute(sql, params).fetchall()

    def kept(self) -> KeptAnswers | None:
        """The answers kept by the event loop's reads (``KeptAnswers``), current as of
        this pass's snapshot; None off the loop's thread, where nothing is kept."""
        shared: LoopSnapshot | None = getattr(self._local, "snapshot", None)
        return None if shared is None else shared.kept()

    def kept_or_read(self, key: Hashable, read: Callable[[], bytes | None]) -> bytes | None:
        """The answer kept for ``key``, or else ``read()`` (None: nothing to answer), kept
        for the reads after it on the event loop (``KeptAnswers``)."""
        kept = self.kept()
        if kept is None:
            return read()
        body = kept.get(key)
        if body is None:
            body = read()
            if body is not None:
                kept.put(key, body)
        return body

    @contextmanager
    def read(self) -> Iterator[Rows]:
        """``rows`` for several statements that must read one snapshot together.

        On the event loop's thread they read the pass's snapshot, which a commit
        of this process does not end while they run; elsewhere one read
        transaction of their own.
        """
        conn = self.reader()
        shared: LoopSnapshot | None = getattr(self._local, "snapshot", None)
        if shared is None:
            conn.execute("BEGIN")
            try:
                yield self.rows
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
            return
        shared.enter()
        shared.pinned += 1
        try:
            yield self.rows
        finally:
            shared.pinned -= 1

    @contextmanager
    def shared_snapshots(self) -> Iterator[None]:
        """Inside, the point reads this thread runs share one snapshot per pass of its
        running event loop (``LoopSnapshot``). Around the server's lifespan."""
        if self.path is None:
            yield
            return
        conn = self.reader()
        # Point reads hit index pages all over a large file: keep more of them than a
        # worker thread's connection does, so that a lookup on the loop rarely reads a
        # page through the operating system (the cache grows only as pages are read).
        conn.execute(f"PRAGMA cache_size=-{FAST_CACHE_KIB}")
        snapshot = LoopSnapshot(conn, asyncio.get_running_loop())
        self._local.snapshot = snapshot
        try:
            yield
        finally:
            if getattr(self._local, "snapshot", None) is snapshot:
                del self._local.snapshot
            snapshot.pinned = 0
            snapshot.close()

    @contextmanager
    def budget(self, steps: int, statements: int = 1) -> Iterator[None]:
        """Stop the statements ``rows`` runs inside with TooLong once they have taken
        about ``steps`` SQLite VM steps (at least ``steps``, and at most a quarter more
        plus a quarter of ``steps`` per statement); ``statements``: how many
        statements may run inside.

        For reads on the event loop whose cost the request decides (a list that
        walks or sorts many rows, a lead with very many events): past the budget
        they are better run in a worker thread than waited for by every other
        request.
        """
        conn = self.reader()
        # SQLite calls the handler each time a statement's steps, counted over all
        # its runs, pass a multiple of the grain: the first call of each statement
        # may come at once, so each statement run adds one call to the budget. (With
        # one call for all of them, several short statements whose counts all came
        # near a multiple at once stopped a read of a hundred steps.)
        grain = max(1, steps // BUDGET_CALLS)
        calls = BUDGET_CALLS + max(1, statements)

        def check() -> bool:
            nonlocal calls
            calls -= 1
            return calls <= 0

        conn.set_progress_handler(check, grain)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if calls > 0:
                raise
            raise TooLong(f"a read on the event loop went past {steps} steps") from exc
        finally:
            conn.set_progress_handler(None, 0)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A durable write transaction on this thread's own writer connection.

        For one hot statement whose SQL is prebuilt (the group commit of form
        posts): the same transaction as ``Database.write`` (the process's write
        lock, ``BEGIN IMMEDIATE``, ``synchronous=FULL``, committed on success)
        without the engine's pool checkout, events and statement handling, which
        cost more than the insert itself. Errors are raised as SQLAlchemy's, as
        ``Database.write`` raises them.
        """
        lock = self.lock
        assert lock is not None, "a raw write needs a SQLite file"
        writegroups.acquire(lock)
        try:
            conn = self._writer()
            statement = "BEGIN IMMEDIATE"
            try:
                conn.execute(statement)
                statement = "(in the transaction)"
                yield conn
                statement = "COMMIT"
                conn.execute(statement)
                committed()
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise sa.exc.DBAPIError.instance(
                    statement, None, exc, sqlite3.Error) from exc
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            lock.release()

    def reader(self) -> sqlite3.Connection:
        """This thread's own read-only connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=ON")
            conn.execute(f"PRAGMA cache_size=-{THREAD_CACHE_KIB}")
            self._local.conn = conn
        return conn

    def _writer(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "writer", None)
        if conn is None:
            conn = self._connect()
            writer_pragmas(conn)
            self._local.writer = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        """A plain sqlite3 connection to the file, in autocommit."""
        assert self.path is not None, "raw connections need a SQLite file"
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False,
            timeout=writegroups.SQLITE_BUSY_TIMEOUT_MS / 1000,
        )
        self._opened.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection opened, on every thread."""
        for conn in self._opened:
            conn.close()
        self._opened.clear()
        self._local = threading.local()

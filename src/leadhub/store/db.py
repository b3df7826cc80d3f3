"""Engine, transactions and the bridge between the async faces and the store.

SQLite (the default) runs in WAL mode with ``synchronous=FULL`` so that a
committed transaction survives a crash of the process or of the machine.
Write transactions start with ``BEGIN IMMEDIATE`` so that concurrent writers
queue on the busy timeout instead of failing on a lock upgrade; writers of one
process queue on a lock of the process before that. PostgreSQL
goes through psycopg 3 with SQLAlchemy's connection pool.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import anyio.to_thread
import orjson
import sqlalchemy as sa
from sqlalchemy import event

from leadhub.store import leaddocs
from leadhub.store.pgbatch import BatchReads
from leadhub.store.pgpoint import PointReads
from leadhub.store.stats import Statistics

# Execution options of a PostgreSQL read (``Database.read``): one snapshot, no writes.
_PG_SNAPSHOT = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger("leadhub")

SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long a writer waits for the other writers of its process (see Database.write).
WRITE_LOCK_TIMEOUT_S = SQLITE_BUSY_TIMEOUT_MS / 1000
# At most this many API writes are committed together (Database.awrite).
GROUP_MAX = 32
# Threads running reads of many rows at once (Database.aread_many); SQLAlchemy's
# pool holds 5 + 10 SQLite connections, PostgreSQL's twice pool_size.
MANY_READERS = 4
# PostgreSQL: v1 list pages read at once on the event loop (``Database.batch_pages``).
PAGE_READERS = 4
# Page cache of the event loop's point-read connection, KiB.
FAST_CACHE_KIB = 32 * 1024
# Page cache of a worker thread's point-read connection (about SQLite's default), KiB: such
# reads go to threads while they wait for the disk, where a page cache of their own
# would hold little that the next read needs, and there are several of them.
THREAD_CACHE_KIB = 2 * 1024
# How many times SQLite looks in on a read's budget (Database.fast_budget).
BUDGET_CALLS = 4


# One lock per SQLite file, shared by every Database of this process on it (the
# API's and the embedded worker's): see Database.write.
_write_locks: dict[str, threading.RLock] = {}
_write_locks_guard = threading.Lock()


def _write_lock(path: str) -> threading.RLock:
    with _write_locks_guard:
        return _write_locks.setdefault(os.path.realpath(path), threading.RLock())


def _locked() -> sa.exc.OperationalError:
    """What SQLite itself says after its busy timeout: the store is busy."""
    return sa.exc.OperationalError(
        "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


class _Job:
    """A write waiting for ``Database._write_group``: done once committed or failed."""

    __slots__ = ("call", "done", "error", "result")

    def __init__(self, call: Callable[[sa.Connection], Any]) -> None:
        self.call = call
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None

    def finish(self, error: BaseException | None = None) -> None:
        if error is not None:
            self.error = error
            self.result = None
        self.done = True


def _end_nested(conn: sa.Connection) -> None:
    """Close the savepoints a failed write left open through the engine (the savepoint
    around the write is rolled back next, with everything inside it)."""
    for _ in range(100):
        nested = conn.get_nested_transaction()
        if nested is None or not nested.is_active:
            return
        nested.rollback()


def normalize_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` onto the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def ping(conn: sa.Connection) -> None:
    """Round-trip one statement, to prove the store answers."""
    conn.exec_driver_sql("SELECT 1").scalar()


# SQLite errors that say the file is busy or cannot be used right now, not a mistake.
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")
# PostgreSQL SQLSTATE classes of a server that is gone or not ready: connection
# exceptions, shutdown / "cannot connect now", out of resources. (A failure to
# connect at all has no SQLSTATE.)
_PG_UNAVAILABLE = ("08", "57P", "53")


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the store cannot be reached or used right now.

    PostgreSQL: the server refused or dropped the connection, is shutting
    down, starting up or out of connections (not a deadlock or a constraint).
    SQLite: a busy file past the busy timeout, or a file that cannot be opened.
    """
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, sa.exc.InterfaceError):
        return True
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    if isinstance(exc.orig, sqlite3.Error):
        return any(word in str(exc.orig).lower() for word in _SQLITE_TRANSIENT)
    state = getattr(exc.orig, "sqlstate", None)
    return state is None or str(state).startswith(_PG_UNAVAILABLE)


class TooLong(Exception):
    """A read on the event loop's own connection went past its budget (Database.fast_budget)."""


def _writer_pragmas(conn: Any) -> None:
    """What every connection that may write sets: WAL, a sync per commit, the busy
    timeout and foreign keys (the engine's connections and ``Database.raw_write``'s)."""
    cur = conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def json_text(value: Any) -> str:
    """A JSON column's stored text: what the engine writes, and what writes that bypass
    it (bulk inserts, the form group commit) must write too."""
    return orjson.dumps(value).decode()


# Write transactions committed by this process, any Database, any thread: a read
# snapshot older than the last of them is not reused (LoopSnapshot).
_commits = 0


def _committed() -> None:
    global _commits
    _commits += 1


class LoopSnapshot:
    """The read snapshot that the point reads of one pass of the event loop share.

    Every statement ``fast_rows`` runs in autocommit starts a read transaction
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

    __slots__ = ("conn", "loop", "commits", "closing", "pinned")

    def __init__(self, conn: sqlite3.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self.conn = conn
        self.loop = loop
        self.commits = -1  # this process's commits when the open snapshot began
        self.closing = False  # the callback that closes it is queued
        self.pinned = 0  # reads in progress that need one snapshot for several statements

    def enter(self) -> None:
        """Make sure a snapshot of this pass, newer than this process's last commit, is open."""
        conn = self.conn
        if conn.in_transaction:
            if self.commits == _commits or self.pinned:
                return
            conn.execute("COMMIT")
        conn.execute("BEGIN")
        self.commits = _commits
        if not self.closing:
            self.closing = True
            self.loop.call_soon(self.close)

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


# Called at the end of every SQLite write transaction, before its commit, with
# the leads (by portal) whose v1 documents its writes changed, to store them
# again from the transaction's own data (leads/documents.py registers it).
LeadWrites = Callable[[sa.Connection, dict[int, list[int]]], None]
_lead_writes: LeadWrites | None = None


def on_lead_writes(hook: LeadWrites) -> None:
    """Set the hook given the leads each write transaction changes."""
    global _lead_writes
    _lead_writes = hook


class Database:
    """One database: an engine plus read and write transaction helpers."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalize_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {
            "json_serializer": json_text,
            "json_deserializer": orjson.loads,
        }
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
            kwargs["pool_pre_ping"] = True
        self.engine = sa.create_engine(self.url, **kwargs)
        # Single-statement point reads on PostgreSQL (store/pgpoint.py).
        self.point: PointReads | None = None if self.is_sqlite else PointReads(self.engine.url)
        # The group commit of form posts, one statement each (store/queue.py
        # ``enqueue_durably``), on connections of its own: it must not wait for the reads.
        self.point_writes: PointReads | None = (
            None if self.is_sqlite else PointReads(self.engine.url))
        # The same reads, many waiting at once in one statement, on the event loop
        # (store/pgbatch.py).
        self.batch: BatchReads | None = None if self.is_sqlite else BatchReads(self.engine.url)
        # The stores of documents those reads rendered (store/leaddocs.py ``PG_STORE``),
        # on a connection of their own: a store waits for a writer holding its row,
        # and must not hold up a read meanwhile.
        self.batch_stores: BatchReads | None = (
            None if self.is_sqlite else BatchReads(self.engine.url, connections=1)
        )
        # v1 list pages (leads/documents.py ``pg_page``), each a statement of its own on
        # the event loop, on connections of their own: a page can take far longer than
        # a point read (a sort by a property without an index reads the whole portal),
        # and must not hold up the point reads behind it.
        self.batch_pages: BatchReads | None = (
            None if self.is_sqlite else BatchReads(self.engine.url, connections=PAGE_READERS)
        )
        self._local = threading.local()
        self._raw: list[sqlite3.Connection] = []
        self._limiter: anyio.CapacityLimiter | None = None
        path = self.engine.url.database if self.is_sqlite else None
        # fast_rows needs a file that a second connection sees (not :memory:).
        self.fast_path: str | None = path if path and path != ":memory:" else None
        # SQLite has one writer at a time. Writers of this process wait for each
        # other on a lock of the process rather than in SQLite's busy handler,
        # which polls with sleeps of up to 100 ms: under concurrent writes that
        # sleeping, not the work, set the rate, and the p99 went past a second.
        # Other processes on the file still meet in the busy handler.
        self._write_lock = _write_lock(self.fast_path) if self.fast_path else None
        # API writes waiting to be committed together (awrite).
        self._pending: collections.deque[_Job] = collections.deque()
        self._pending_guard = threading.Lock()
        # Planner statistics after bulk writes (PostgreSQL; store/stats.py).
        self.statistics = Statistics(self.engine)
        if self.is_sqlite:
            self._configure_sqlite()

    def _configure_sqlite(self) -> None:
        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take over transaction control from the sqlite3 module.
            dbapi_conn.isolation_level = None
            _writer_pragmas(dbapi_conn)

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            if conn.get_execution_options().get("leadhub_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[sa.Connection]:
        """A connection inside a write transaction, committed on success.

        The commit waits until the transaction is on disk. With ``durable=False``
        it does not: a crash of the machine (not of a process) may undo the
        transaction, though never partly and never without undoing every
        later one. The next durable commit puts it on disk as well (SQLite:
        ``synchronous=NORMAL`` for this transaction, the WAL synced with the
        next one; PostgreSQL: ``synchronous_commit`` off for it). For writes
        that are worth nothing once lost, such as a worker's claim on queued
        rows.
        """
        lock = self._write_lock
        if lock is not None and not lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):
            raise _locked()
        try:
            with self._transaction(durable) as conn:
                yield conn
        finally:
            if lock is not None:
                lock.release()

    @contextmanager
    def _transaction(self, durable: bool = True) -> Iterator[sa.Connection]:
        """``write``'s transaction, the process's write lock already held."""
        with self.engine.connect() as conn:
            conn.execution_options(leadhub_write=True)
            raw = conn.connection.driver_connection if self.is_sqlite else None
            if raw is not None and not durable:
                raw.execute("PRAGMA synchronous=NORMAL")
            hook = _lead_writes
            if hook is not None and (raw is None or not leaddocs.track_stale(raw)):
                hook = None
            try:
                with conn.begin():
                    if not durable and not self.is_sqlite:
                        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                    yield conn
                    if hook is not None and (changed := leaddocs.take_stale(raw)):
                        hook(conn, changed)
                _committed()
            finally:
                if raw is not None and not durable:
                    raw.execute("PRAGMA synchronous=FULL")

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection inside a read-only transaction (a consistent snapshot).

        On PostgreSQL the transaction is ``REPEATABLE READ READ ONLY``: under the
        default ``READ COMMITTED`` each statement sees the commits made before it
        started, so the statements of one read (a lead's row, then its events) could
        see different states of the store. A read-only transaction at that level never
        fails for a concurrent write; psycopg opens it with the same one ``BEGIN``.
        """
        with self.engine.connect() as conn:
            if not self.is_sqlite:
                conn.execution_options(**_PG_SNAPSHOT)
            with conn.begin():
                yield conn

    def write_call(
        self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, ...)`` in a write transaction."""
        with self.write() as conn:
            return fn(conn, *args, **kwargs)

    def read_call(
        self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, ...)`` in a read transaction."""
        with self.read() as conn:
            return fn(conn, *args, **kwargs)

    async def aread(
        self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a read from async code: inline on SQLite, in a thread on PostgreSQL.

        A SQLite point read takes microseconds, less than a thread hop costs;
        a PostgreSQL round trip must not block the event loop.
        """
        if self.is_sqlite:
            return self.read_call(fn, *args, **kwargs)
        return await anyio.to_thread.run_sync(lambda: self.read_call(fn, *args, **kwargs))

    async def aread_many(
        self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a read that may touch many rows (a list, a search, a first render) in a thread.

        On a store larger than the memory the system caches it in, such a read
        waits on the disk for tens of milliseconds per page; inline, every other
        request of the server would wait with it (a mix of reads, lists and
        writes on a million leads completed no request at all).
        """
        return await anyio.to_thread.run_sync(
            lambda: self.read_call(fn, *args, **kwargs), limiter=self._many_limiter()
        )

    def _many_limiter(self) -> anyio.CapacityLimiter:
        # Fewer threads than pooled connections: the event loop's own inline reads
        # must always find a free connection, or the loop would wait for one.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(MANY_READERS)
        return self._limiter

    async def awrite(
        self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a write from async code in a worker thread (it may wait on locks).

        On a SQLite file the writes waiting for the store at once are committed
        together (``_write_group``): each runs in a savepoint of its own, so one
        that raises leaves the others as they were, and each is answered only
        once the group's commit is on disk.
        """
        if self._write_lock is None:
            return await anyio.to_thread.run_sync(lambda: self.write_call(fn, *args, **kwargs))
        job = _Job(lambda conn: fn(conn, *args, **kwargs))
        with self._pending_guard:
            self._pending.append(job)
        await anyio.to_thread.run_sync(self._write_group, job)
        if job.error is not None:
            raise job.error
        return cast(T, job.result)

    def _write_group(self, job: _Job) -> None:
        """Until ``job`` is done: take the write lock and run the writes waiting then, in
        one transaction, or find that a thread holding it before ran ``job``."""
        lock = self._write_lock
        assert lock is not None
        while not job.done:
            if not lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):
                with self._pending_guard:
                    if job in self._pending:  # not taken by a group: give up on it
                        self._pending.remove(job)
                        job.finish(error=_locked())
                continue  # taken: done once its group's writer lets go of the lock
            try:
                if not job.done:
                    self._run_group()
            finally:
                lock.release()

    def _run_group(self) -> None:
        """The waiting writes (at most GROUP_MAX), each in a savepoint, in one transaction."""
        with self._pending_guard:
            jobs = [self._pending.popleft() for _ in range(min(GROUP_MAX, len(self._pending)))]
        ran: list[_Job] = []
        try:
            with self._transaction() as conn:
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
            with self._pending_guard:
                self._pending.extendleft(reversed(jobs[len(ran):]))
            for job in ran:
                job.finish(error=job.error if job.error is not None else exc)
            if not isinstance(exc, Exception):
                raise
            return
        for job in ran:
            job.finish()

    def fast_rows(
        self, sql: str, params: Sequence[Any] | dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        """Rows of one read-only SQL statement, run on this thread's own SQLite connection.

        For the hottest point reads: no pool checkout and no statement
        compilation. A single statement reads one consistent snapshot by
        itself; on the event loop's thread (``shared_snapshots``) it reads the
        snapshot of the loop's pass (``LoopSnapshot``). Only for a SQLite file
        (``fast_path``).
        """
        shared: LoopSnapshot | None = getattr(self._local, "snapshot", None)
        if shared is None:
            return self._fast_conn().execute(sql, params).fetchall()
        shared.enter()
        return shared.conn.execute(sql, params).fetchall()

    @contextmanager
    def fast_read(self) -> Iterator[Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]]:
        """``fast_rows`` for several statements that must read one snapshot together.

        On the event loop's thread they read the pass's snapshot, which a commit
        of this process does not end while they run; elsewhere one read
        transaction of their own.
        """
        conn = self._fast_conn()
        shared: LoopSnapshot | None = getattr(self._local, "snapshot", None)
        if shared is None:
            conn.execute("BEGIN")
            try:
                yield self.fast_rows
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
            return
        shared.enter()
        shared.pinned += 1
        try:
            yield self.fast_rows
        finally:
            shared.pinned -= 1

    @contextmanager
    def shared_snapshots(self) -> Iterator[None]:
        """Inside, the point reads this thread runs share one snapshot per pass of its
        running event loop (``LoopSnapshot``). Around the server's lifespan."""
        if self.fast_path is None:
            yield
            return
        conn = self._fast_conn()
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
    def fast_budget(self, steps: int, statements: int = 1) -> Iterator[None]:
        """Stop the statements ``fast_rows`` runs inside with TooLong once they have taken
        about ``steps`` SQLite VM steps (at least ``steps``, and at most a quarter more
        plus a quarter of ``steps`` per statement); ``statements``: how many
        statements may run inside.

        For reads on the event loop whose cost the request decides (a list that
        walks or sorts many rows, a lead with very many events): past the budget
        they are better run in a worker thread than waited for by every other
        request.
        """
        conn = self._fast_conn()
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
    def raw_write(self) -> Iterator[sqlite3.Connection]:
        """A durable write transaction on this thread's own sqlite3 connection.

        For one hot statement whose SQL is prebuilt (the group commit of form
        posts): the same transaction as ``write`` (the process's write lock,
        ``BEGIN IMMEDIATE``, ``synchronous=FULL``, committed on success) without
        the engine's pool checkout, events and statement handling, which cost
        more than the insert itself. Errors are raised as SQLAlchemy's, as
        ``write`` raises them. Only for a SQLite file (``fast_path``).
        """
        lock = self._write_lock
        assert lock is not None, "raw_write needs a SQLite file"
        if not lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):
            raise _locked()
        try:
            conn = self._raw_write_conn()
            statement = "BEGIN IMMEDIATE"
            try:
                conn.execute(statement)
                statement = "(in the transaction)"
                yield conn
                statement = "COMMIT"
                conn.execute(statement)
                _committed()
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

    def _raw_connect(self) -> sqlite3.Connection:
        """A plain sqlite3 connection to the file, in autocommit (this thread's own)."""
        assert self.fast_path is not None, "raw connections need a SQLite file"
        conn = sqlite3.connect(
            self.fast_path, isolation_level=None, check_same_thread=False,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
        )
        self._raw.append(conn)
        return conn

    def _raw_write_conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "writer", None)
        if conn is None:
            conn = self._raw_connect()
            _writer_pragmas(conn)
            self._local.writer = conn
        return conn

    def _fast_conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._raw_connect()
            conn.execute("PRAGMA query_only=ON")
            conn.execute(f"PRAGMA cache_size=-{THREAD_CACHE_KIB}")
            self._local.conn = conn
        return conn

    def dispose(self) -> None:
        """Close every pooled connection."""
        for conn in self._raw:
            conn.close()
        self._raw.clear()
        self._local = threading.local()
        if self.point is not None:
            self.point.close()
        if self.point_writes is not None:
            self.point_writes.close()
        if self.batch is not None:
            self.batch.close()
        if self.batch_stores is not None:
            self.batch_stores.close()
        if self.batch_pages is not None:
            self.batch_pages.close()
        self.engine.dispose()

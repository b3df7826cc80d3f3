"""Engine, transactions and the bridge between the async faces and the store.

SQLite (the default) runs in WAL mode with ``synchronous=FULL`` so that a
committed transaction survives a crash of the process or of the machine.
Write transactions start with ``BEGIN IMMEDIATE`` so that concurrent writers
queue on the busy timeout instead of failing on a lock upgrade; writers of one
process queue on a lock of the process before that, and the API's writes
waiting at once commit together (store/writegroups.py). The hottest
statements skip the engine for a thread's own sqlite3 connection
(store/sqliteraw.py). PostgreSQL goes through psycopg 3 with SQLAlchemy's
connection pool.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import anyio.to_thread
import orjson
import sqlalchemy as sa
from sqlalchemy import event

from leadhub.store import leaddocs
from leadhub.store.pgbatch import BatchReads
from leadhub.store.pgpoint import PointReads
from leadhub.store.sql import json_text
from leadhub.store.sqliteraw import RawConnections, committed
from leadhub.store.stats import Statistics
from leadhub.store.writegroups import Job, WriteGroups, acquire, write_lock, writer_pragmas

# Execution options of a PostgreSQL read (``Database.read``): one snapshot, no writes.
_PG_SNAPSHOT = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger("leadhub")

# Threads running reads of many rows at once (Database.aread_many); SQLAlchemy's
# pool holds 5 + 10 SQLite connections, PostgreSQL's twice pool_size.
MANY_READERS = 4
# PostgreSQL: v1 list pages read at once on the event loop (``Database.batch_pages``).
PAGE_READERS = 4


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
        # v1 list pages (leads/pgdocuments.py ``page``), each a statement of its own on
        # the event loop, on connections of their own: a page can take far longer than
        # a point read (a sort by a property without an index reads the whole portal),
        # and must not hold up the point reads behind it.
        self.batch_pages: BatchReads | None = (
            None if self.is_sqlite else BatchReads(self.engine.url, connections=PAGE_READERS)
        )
        self._limiter: anyio.CapacityLimiter | None = None
        path = self.engine.url.database if self.is_sqlite else None
        # The raw connections need a file that a second connection sees (not :memory:).
        self.fast_path: str | None = path if path and path != ":memory:" else None
        # The lock the SQLite writers of this process take (store/writegroups.py).
        self._write_lock = write_lock(self.fast_path) if self.fast_path else None
        # API writes waiting to be committed together (awrite).
        self._groups = (
            WriteGroups(self._write_lock, self._transaction) if self._write_lock else None)
        self._raw = RawConnections(self.fast_path, self._write_lock)
        # The hottest statements, on this thread's own sqlite3 connection
        # (store/sqliteraw.py): bound once, as they run on every point read.
        self.fast_rows = self._raw.rows
        self.fast_read = self._raw.read
        # Answers of the event loop's point reads, kept until any commit (KeptAnswers).
        self.kept_answers = self._raw.kept
        self.kept_or_read = self._raw.kept_or_read
        self.shared_snapshots = self._raw.shared_snapshots
        self.fast_budget = self._raw.budget
        self.raw_write = self._raw.write
        # Planner statistics after bulk writes (PostgreSQL; store/stats.py).
        self.statistics = Statistics(self.engine)
        if self.is_sqlite:
            self._configure_sqlite()

    def _configure_sqlite(self) -> None:
        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take over transaction control from the sqlite3 module.
            dbapi_conn.isolation_level = None
            writer_pragmas(dbapi_conn)

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
        if lock is not None:
            acquire(lock)
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
                committed()
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
        together (``WriteGroups``): each runs in a savepoint of its own, so one
        that raises leaves the others as they were, and each is answered only
        once the group's commit is on disk.
        """
        groups = self._groups
        if groups is None:
            return await anyio.to_thread.run_sync(lambda: self.write_call(fn, *args, **kwargs))
        job = Job(lambda conn: fn(conn, *args, **kwargs))
        groups.add(job)
        await anyio.to_thread.run_sync(groups.wait, job)
        if job.error is not None:
            raise job.error
        return cast(T, job.result)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._raw.close()
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

"""PostgreSQL point reads: one statement each, on connections of their own in autocommit.

A read through the engine (``Database.read``) is a pool checkout with its
ping, ``BEGIN``, the read's statements and ``COMMIT``: a v1 read of a lead by
guid was seven round trips, and psycopg's client side of each costs about
60 µs of CPU, more than the server's work. A read that is one statement needs
none of that: a statement sees one snapshot by itself, even under ``READ
COMMITTED``, so it runs in autocommit, and a connection kept idle here needs
no ping: a connection the server dropped while it was idle fails its
statement, and the statement is run once more on a new connection.

The connections decode JSON with orjson, as the engine does, and run only
the statements given to them. They set nothing for their session (not even
``default_transaction_read_only`` as a startup option, which PgBouncer in
transaction mode, docs/scaling.md, refuses). Errors come out as SQLAlchemy's
(``sa.exc.DBAPIError.instance``), so a store that is down is a 503 like any
other read's (``db.is_unavailable``).

A write that is one statement runs the same way (``PointReads.write``): the
group commit of form posts (store/queue.py ``enqueue_durably``) through the
engine was a checkout with its ping, ``BEGIN``, the insert and ``COMMIT``,
four round trips and about 600 µs of the client's CPU for ten posts; as one
statement in autocommit it is one round trip and about 90 µs.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import anyio.to_thread
import orjson
import psycopg
import sqlalchemy as sa
from psycopg.types.json import set_json_loads

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger("leadhub")

# Threads running point reads at once, and idle connections kept for them.
POINT_READERS = 8

# Parameters of a statement: positional (``%s``) or named (``%(name)s``).
Params = Sequence[Any] | Mapping[str, Any]
# Runs one statement and returns its rows.
PointRows = Callable[[str, Params], list[tuple[Any, ...]]]


def retry_or_raise(
    exc: psycopg.Error, sql: str, params: Any, *, broken: bool, retry: bool
) -> None:
    """After a statement failed: return if it should run once more (its connection,
    kept idle, was dropped by the server meanwhile: a restart), else raise the error as
    SQLAlchemy's (``db.is_unavailable`` tells a store out of reach)."""
    if broken and retry:
        log.info("an idle PostgreSQL connection was dropped; reconnecting")
        return
    raise sa.exc.DBAPIError.instance(
        sql, params, exc, psycopg.Error, connection_invalidated=broken
    ) from exc


def conninfo(url: sa.URL) -> str:
    """libpq's connection string for a store's SQLAlchemy URL (its driver name dropped,
    its password kept), for psycopg's own connections."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PointReads:
    """Single-statement reads on PostgreSQL, from worker threads."""

    def __init__(self, url: sa.URL) -> None:
        self._conninfo = conninfo(url)
        self._idle: collections.deque[psycopg.Connection[Any]] = collections.deque()
        self._limiter: anyio.CapacityLimiter | None = None
        self._closed = False

    def rows(self, sql: str, params: Params) -> list[tuple[Any, ...]]:
        """The rows of one read-only statement."""
        return self._run(sql, params, rows=True)

    def write(self, sql: str, params: Params) -> None:
        """One statement that writes, in a transaction of its own (autocommit): when it
        returns, it is committed, and on disk under PostgreSQL's default
        ``synchronous_commit``.

        Run once more on a new connection only where its idle connection turned
        out dropped, as a read is: had the first run committed all the same, the
        second fails (the caller's unique key) and reports an error for a write
        that is stored, never the other way round.
        """
        self._run(sql, params, rows=False)

    def _run(self, sql: str, params: Params, *, rows: bool) -> list[tuple[Any, ...]]:
        for attempt in range(2):
            conn, fresh = self._take(sql, params)
            try:
                cursor = conn.execute(sql, params)
                found = cursor.fetchall() if rows else []
            except psycopg.Error as exc:
                broken = conn.broken or conn.closed
                if broken:
                    conn.close()
                else:
                    self._give(conn)
                retry_or_raise(exc, sql, params, broken=broken, retry=not fresh and attempt == 0)
                continue
            self._give(conn)
            return found
        raise AssertionError("unreachable")

    async def run(
        self, fn: Callable[Concatenate[PointRows, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(rows, ...)`` in a worker thread; ``fn`` must read with one statement."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(POINT_READERS)
        return await anyio.to_thread.run_sync(
            lambda: fn(self.rows, *args, **kwargs), limiter=self._limiter
        )

    def close(self) -> None:
        """Close the idle connections; connections in use are closed when given back."""
        self._closed = True
        while self._idle:
            self._idle.pop().close()

    def _take(self, sql: str, params: Params) -> tuple[psycopg.Connection[Any], bool]:
        try:
            return self._idle.pop(), False
        except IndexError:
            pass
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise sa.exc.DBAPIError.instance(sql, params, exc, psycopg.Error) from exc
        set_json_loads(orjson.loads, conn)
        return conn, True

    def _give(self, conn: psycopg.Connection[Any]) -> None:
        if self._closed or len(self._idle) >= POINT_READERS:
            conn.close()
        else:
            self._idle.append(conn)


__all__ = ["POINT_READERS", "PointReads", "PointRows", "conninfo", "retry_or_raise"]

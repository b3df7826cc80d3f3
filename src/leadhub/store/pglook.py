"""The store's snapshot on PostgreSQL, read at the lowest cost to the server's process.

Every read of an answer kept on PostgreSQL waits for a look at the store's
snapshot (store/pgbatch.py ``BatchReads.kept_or_read``), one statement per
pass of the event loop. Through psycopg's connection API such a statement
cost the server's process about 70 µs of CPU, against about 43 µs through
libpq's own asynchronous calls (psycopg's ``pq`` module): no cursor, no
adaptation, no prepared-statement cache for a statement that has no
parameters and one text value. And the connection's socket stays watched
by the event loop between statements, instead of being added to and taken
from its poll at every statement.

So one connection of its own runs the looks, one at a time: a look asked
while another runs is sent when that one ends (it must start after it was
asked), and every look asked meanwhile shares it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import pq

log = logging.getLogger("leadhub")

# The snapshot a statement sees: which transactions it sees as committed. Two that print
# the same saw the same commits, of every database of the server (store/kept.py).
SNAPSHOT = "SELECT pg_current_snapshot()::text"
_QUERY = SNAPSHOT.encode()


class SnapshotLooks:
    """``SNAPSHOT`` on a connection of its own, on one event loop, one statement at a
    time, answered through libpq's asynchronous calls."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd = -1  # the connection's socket, watched by ``_loop``
        self._future: asyncio.Future[str] | None = None  # the statement running, if any
        self._value: str | None = None
        self._error: psycopg.Error | None = None

    @property
    def busy(self) -> bool:
        """Whether a statement is running (or connecting)."""
        return self._future is not None

    async def look(self) -> str:
        """The snapshot as a statement sent now sees it. Not while ``busy``."""
        assert self._future is None, "one look at a time"
        loop = asyncio.get_running_loop()
        self._future = future = loop.create_future()
        try:
            for attempt in range(2):
                fresh = self._conn is None
                try:
                    if fresh:
                        await self._connect(loop)
                    self._send()
                    return await future
                except psycopg.Error as exc:
                    self._drop()
                    if fresh or attempt:
                        raise sa.exc.DBAPIError.instance(
                            SNAPSHOT, {}, exc, psycopg.Error, connection_invalidated=True
                        ) from exc
                    # An idle connection the server dropped (a restart): once more.
                    log.info("an idle PostgreSQL connection was dropped; reconnecting")
                    self._future = future = loop.create_future()
            raise AssertionError("unreachable")
        except BaseException:
            # Given up mid-statement (cancelled): its result would be taken for the
            # next look's, which must start after it was asked. A new connection.
            self._drop()
            raise
        finally:
            self._future = None

    def close(self) -> None:
        """Close the connection (from any thread or loop)."""
        self._drop()

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> None:
        conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        self._conn, self._loop, self._fd = conn, loop, conn.pgconn.socket
        # Sends block until the socket takes them (some 40 bytes: at once), rather than
        # leaving a part to flush later; reading never blocks (``_readable``).
        conn.pgconn.nonblocking = 0
        loop.add_reader(self._fd, self._readable)

    def _send(self) -> None:
        assert self._conn is not None
        pgconn = self._conn.pgconn
        self._value = self._error = None
        pgconn.send_query(_QUERY)

    def _readable(self) -> None:
        """What the server sent: the statement's result, or the end of the connection."""
        conn, future = self._conn, self._future
        if conn is None:
            return
        pgconn = conn.pgconn
        try:
            pgconn.consume_input()
        except psycopg.OperationalError as exc:
            self._drop()
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        while not pgconn.is_busy():
            result = pgconn.get_result()
            if result is None:  # the statement's results are all in
                if future is not None and not future.done():
                    if self._error is not None:
                        future.set_exception(self._error)
                    elif self._value is None:
                        future.set_exception(psycopg.OperationalError("no snapshot read"))
                    else:
                        future.set_result(self._value)
                return
            if result.status == pq.ExecStatus.TUPLES_OK:
                value = result.get_value(0, 0)
                self._value = None if value is None else bytes(value).decode()
            elif result.status == pq.ExecStatus.FATAL_ERROR:
                self._error = psycopg.errors.error_from_result(result)
        if future is None and pgconn.status == pq.ConnStatus.BAD:
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        if not conn.closed:
            conn.pgconn.finish()


__all__ = ["SNAPSHOT", "SnapshotLooks"]

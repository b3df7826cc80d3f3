"""PostgreSQL point reads gathered into one statement, on the event loop.

A single-statement read (store/pgpoint.py) still costs the server's process
far more than the rest of the request: psycopg's client side of a statement
(about 100 µs of CPU) and the hop to a worker thread and back. Under load
many such reads wait at once, and reading them together costs little more
than reading one: the same statement over a list of keys, each key's row
numbered by its place in the list (``keys``).

So a read here is queued, and the reads queued within one pass of the event
loop go out as one statement on an asyncio connection, while at most
CONNECTIONS statements run; the reads that arrive meanwhile wait for the
next free connection and go out together in turn. A read alone costs one
statement, as before; under load the statement's cost is shared. A
statement that reads more than keys (a list page) runs on the same
connections on its own (``read``), in turn with the gathered ones.

Answers of point reads are kept in the process while nothing is committed
to the store (``kept_or_read``; store/kept.py): a read of an answer kept
waits for one statement, shared by every such read waiting at once, that
says the store's current snapshot (``SNAPSHOT``), on a connection of its
own (store/pglook.py), and is answered from memory if it is the one the
answer was read after.

As in ``PointReads``: autocommit (one statement is one snapshot), no session
setting (PgBouncer in transaction mode), JSON decoded by orjson, a
connection the server dropped while it was idle retried once on a new one,
and errors raised as SQLAlchemy's (``db.is_unavailable`` says which mean the
store is down). A failed statement fails every read in it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from psycopg.types.json import set_json_loads

from leadhub.store.kept import KeptAnswers
from leadhub.store.pglook import SNAPSHOT, SnapshotLooks
from leadhub.store.pgpoint import conninfo, retry_or_raise

log = logging.getLogger("leadhub")

# Statements running at once, and idle connections kept for them.
CONNECTIONS = 4
# Reads in one statement at most; more wait for the next.
BATCH_MAX = 128

Row = tuple[Any, ...]

# After a look finds the store changed, the reads of kept answers that go to the store
# without a look (``kept_or_read``): under writes most looks find a change, and each
# costs the reads waiting for it a statement more than a read of their own.
LOOKS_SKIPPED = 32


def keys(**parts: str) -> str:
    """The keys of a ``Batched`` statement as a FROM item ``k``: a row per key, with a
    column per part of the key, named and of the SQL type ``parts`` says, in the key's
    order, and ``k.n``, the key's place from 1.

    The keys arrive as one JSON array of arrays (the parameter ``%(keys)s``), taken
    apart by PostgreSQL: psycopg's adaptation of one array per part (finding each
    list's element type, dumping every element) cost the client twice what the rest
    of a statement of a dozen keys did. A ``bytea`` part is sent as its hex digits
    (``bytes.hex()``): JSON has no bytes, and PostgreSQL's text no NUL. The array is
    read as ``jsonb``, parsed once: on ``json`` each ``->>`` parses its element again
    from the start, which for the form posts' rows of fourteen parts (store/queue.py)
    cost the server twice the CPU per row; for the reads' keys of two or three parts
    either costs the same.
    """
    columns = []
    for place, (name, kind) in enumerate(parts.items()):
        part = f"j.e->>{place}"
        if kind == "bytea":
            part = f"decode({part}, 'hex')"
        elif kind != "text":
            part = f"({part})::{kind}"
        columns.append(f"{part} AS {name}")
    return (
        f"(SELECT {', '.join(columns)}, j.n "
        "FROM jsonb_array_elements(%(keys)s::jsonb) WITH ORDINALITY AS j(e, n)) k"
    )


def batched_params(keys: Sequence[Sequence[Any]]) -> dict[str, str]:
    """The parameters of a ``Batched`` statement for these keys: one JSON array. A key
    JSON cannot hold (not text, a number, a bool or None) raises TypeError."""
    return {"keys": orjson.dumps(keys).decode()}


def run_batched(conn: sa.Connection, kind: Batched, keys: Sequence[Sequence[Any]]) -> list[Row]:
    """``kind``'s rows for these keys (none for a write) on a connection of the
    caller's, in its transaction (not gathered with other reads)."""
    result = conn.exec_driver_sql(kind.sql, batched_params(keys))
    return [tuple(row) for row in result] if result.returns_rows else []


@dataclass(frozen=True)
class Batched:
    """A read by key that many reads share one statement of.

    ``sql`` reads its keys from ``keys(...)`` and returns at most one row per key,
    whose first column is the key's place (``k.n``). A key is a sequence of its
    parts, each a JSON value: None, a bool, a number or a string.
    """

    sql: str
    # Results in PostgreSQL's binary format: ``bytea`` as it is, not as hex text.
    binary: bool = False


class BatchReads:
    """Reads by key on PostgreSQL, those waiting at once gathered into one statement."""

    def __init__(self, url: sa.URL, *, connections: int = CONNECTIONS) -> None:
        self._conninfo = conninfo(url)
        self._connections = connections
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: collections.deque[psycopg.AsyncConnection[Any]] = collections.deque()
        self._waiting: dict[Batched, list[tuple[Sequence[Any], asyncio.Future[Row | None]]]] = {}
        self._alone: collections.deque[
            tuple[str, dict[str, Any], bool, bool, asyncio.Future[Any]]] = collections.deque()
        # Readers waiting for the next statement that reads the snapshot (``snapshot``).
        self._looks: list[asyncio.Future[str]] = []
        self._snapshots = SnapshotLooks(self._conninfo)
        self._looking: asyncio.Task[None] | None = None  # a look under way
        self._running: set[asyncio.Task[None]] = set()
        self._scheduled = False
        self._closed = False
        self.statements = 0  # statements run, for tests and the benchmark's notes
        # Answers kept while the snapshot has not moved (``kept_or_read``).
        self.answers = KeptAnswers()
        self._skip = 0  # reads of kept answers still to go without a look

    async def get(self, kind: Batched, key: Sequence[Any]) -> Row | None:
        """The row ``kind`` reads for ``key`` (its first column the key's place), or None."""
        future: asyncio.Future[Row | None] = self._future()
        self._waiting.setdefault(kind, []).append((key, future))
        self._wake()
        return await future

    async def snapshot(self) -> str:
        """The store's snapshot (``SNAPSHOT``) as a statement started after this call
        sees it: every commit made before the call is in it. Shared by the callers
        waiting at once, in one statement; one at a time, on a connection of its own
        (store/pglook.py)."""
        future: asyncio.Future[str] = self._future()
        self._looks.append(future)
        self._wake()
        return await future

    async def kept_or_read(
        self, key: Hashable, read: Callable[[], Awaitable[bytes | None]]
    ) -> bytes | None:
        """The answer kept for ``key`` if nothing was committed to the store since it was
        read, or else ``await read()`` (None: nothing to answer), kept for the reads
        after it (store/kept.py ``KeptAnswers``).

        Answers are kept under the snapshot seen last (``answers.version``), only if
        read wholly after it was seen: a read that starts and ends while the version
        is the same. A kept answer is answered when a snapshot taken after the call
        is that same one: nothing committed since before the answer was read. Where
        nothing is kept for the key, the read goes out at once, without a look, and
        so do the LOOKS_SKIPPED reads after a look that found the store changed.
        """
        kept = self.answers
        version = kept.version
        body = kept.get(key)
        if body is not None and self._skip:
            self._skip -= 1
        elif body is not None or version is None:
            now = await self.snapshot()
            if now == version:
                if body is not None:
                    return body
            elif kept.version == version:
                # Moved on since: what was read before is dropped. (A look that started
                # before another's but ended after it leaves the version as it is.)
                kept.start(now)
                if version is not None:
                    self._skip = LOOKS_SKIPPED
            version = kept.version
        body = await read()
        if body is not None and kept.version == version:
            kept.put(key, body)
        return body

    async def read(
        self, sql: str, params: dict[str, Any], *, binary: bool = False, inline: bool = False
    ) -> list[Row]:
        """The rows of a statement of its own (named parameters), not gathered with
        others: run on the same connections, in turn with the gathered statements, so
        that no more than CONNECTIONS run at once.

        ``inline``: the parameters' values are written into the statement's text
        (psycopg's client-side binding, quoted by psycopg), for a statement that
        PostgreSQL plans for its values at every run. The same statement with the same
        values, run again, is then prepared on its connection (psycopg prepares a text
        run a few times) and planned once: a v1 list page asked again (a search's
        selectivity estimates alone took about 0.4 ms to plan).
        """
        future: asyncio.Future[list[Row]] = self._future()
        self._alone.append((sql, params, binary, inline, future))
        self._wake()
        return await future

    def close(self) -> None:
        """Close the idle connections; those in use close when their statement ends."""
        self._closed = True
        while self._idle:
            _finish(self._idle.pop())
        self._snapshots.close()

    def _future(self) -> asyncio.Future[Any]:
        """A reader's future on the running event loop."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._forget(loop)
        return loop.create_future()

    def _wake(self) -> None:
        """Start statements later in this pass of the loop, if a connection is free: the
        reads of the pass's other requests join."""
        free = len(self._running) < self._connections or (
            bool(self._looks) and self._looking is None)
        if free and not self._scheduled and self._loop is not None:
            self._scheduled = True
            self._loop.call_soon(self._start)

    def _forget(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start over on another event loop (an asyncio connection belongs to one)."""
        while self._idle:
            _finish(self._idle.pop())
        self._waiting.clear()
        self._alone.clear()
        self._looks = []
        self._snapshots.close()
        self._snapshots = SnapshotLooks(self._conninfo)
        self._looking = None
        self.answers.reset()  # in place: a read that started this loop holds the set
        self._skip = 0
        self._running.clear()
        self._scheduled = False
        self._loop = loop

    def _start(self) -> None:
        self._scheduled = False
        if self._looks and self._looking is None:
            looks, self._looks = self._looks, []
            assert self._loop is not None
            self._looking = self._loop.create_task(self._look(looks))
            self._looking.add_done_callback(self._looked)
        # In turn, a statement of its own and one of gathered reads: neither kind waits
        # for all of the other's.
        while (self._alone or self._waiting) and len(self._running) < self._connections:
            if self._alone:
                sql, params, binary, inline, future = self._alone.popleft()
                if not future.done():  # a reader that gave up is not read for
                    self._launch(self._run_alone(sql, params, binary, inline, future))
            if self._waiting and len(self._running) < self._connections:
                self._start_gathered()

    def _start_gathered(self) -> None:
        kind = next(iter(self._waiting))
        # Readers that gave up (cancelled) are not read for.
        waiting = [w for w in self._waiting[kind] if not w[1].done()]
        batch, rest = waiting[:BATCH_MAX], waiting[BATCH_MAX:]
        if rest:
            self._waiting[kind] = rest
        else:
            del self._waiting[kind]
        if batch:
            self._launch(self._run(kind, batch))

    def _launch(self, statement: Coroutine[Any, Any, None]) -> None:
        assert self._loop is not None
        task = self._loop.create_task(statement)
        self._running.add(task)
        task.add_done_callback(self._ended)

    def _looked(self, task: asyncio.Task[None]) -> None:
        if task is self._looking:  # not a look of a loop forgotten since
            self._looking = None
            if self._looks:
                self._wake()

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._waiting or self._alone or self._looks:
            self._wake()

    async def _run(
        self, kind: Batched, batch: list[tuple[Sequence[Any], asyncio.Future[Row | None]]]
    ) -> None:
        try:
            # A key JSON cannot hold fails its statement's reads, as a key the
            # statement refuses does.
            params = batched_params([key for key, _ in batch])
            rows = await self._rows(kind.sql, params, kind.binary)
        except BaseException as exc:
            _fail([future for _, future in batch], exc)
            return
        found = {row[0]: row for row in rows}
        for place, (_, future) in enumerate(batch, 1):
            if not future.done():
                future.set_result(found.get(place))

    async def _look(self, looks: list[asyncio.Future[str]]) -> None:
        self.statements += 1
        try:
            now = await self._snapshots.look()
        except BaseException as exc:
            _fail(looks, exc)
            return
        for future in looks:
            if not future.done():
                future.set_result(now)

    async def _run_alone(
        self, sql: str, params: dict[str, Any], binary: bool, inline: bool,
        future: asyncio.Future[Any],
    ) -> None:
        try:
            rows = await self._rows(sql, params, binary, inline)
        except BaseException as exc:
            _fail([future], exc)
            return
        if not future.done():
            future.set_result(rows)

    async def _rows(
        self, sql: str, params: dict[str, Any], binary: bool, inline: bool = False
    ) -> list[Row]:
        self.statements += 1
        for attempt in range(2):
            conn, fresh = await self._take(sql, params)
            try:
                if inline:
                    text = psycopg.AsyncClientCursor(conn).mogrify(sql, params)
                    cursor = await conn.execute(text, None, binary=binary)
                else:
                    cursor = await conn.execute(sql, params, binary=binary)
                rows = await cursor.fetchall() if cursor.description else []
            except psycopg.Error as exc:
                broken = conn.broken or conn.closed
                if broken:
                    _finish(conn)
                else:
                    self._give(conn)
                retry_or_raise(exc, sql, params, broken=broken, retry=not fresh and attempt == 0)
                continue
            except BaseException:
                _finish(conn)  # cancelled mid-statement: its state is unknown
                raise
            self._give(conn)
            return rows
        raise AssertionError("unreachable")

    async def _take(
        self, sql: str, params: dict[str, Any]
    ) -> tuple[psycopg.AsyncConnection[Any], bool]:
        if self._idle:
            return self._idle.pop(), False
        try:
            conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise sa.exc.DBAPIError.instance(sql, params, exc, psycopg.Error) from exc
        set_json_loads(orjson.loads, conn)
        return conn, True

    def _give(self, conn: psycopg.AsyncConnection[Any]) -> None:
        if self._closed or len(self._idle) >= self._connections:
            _finish(conn)
        else:
            self._idle.append(conn)


def _fail(futures: list[asyncio.Future[Any]], exc: BaseException) -> None:
    """Every read of a statement fails with its error; a cancellation of the statement's
    task is raised on once its readers have it."""
    for future in futures:
        if not future.done():
            future.set_exception(exc)
    if not isinstance(exc, Exception):
        raise exc


def _finish(conn: psycopg.AsyncConnection[Any]) -> None:
    """Close a connection without awaiting (from any thread or loop)."""
    if not conn.closed:
        conn.pgconn.finish()


__all__ = [
    "BATCH_MAX", "CONNECTIONS", "SNAPSHOT", "BatchReads", "Batched", "Row", "batched_params",
    "keys", "run_batched",
]

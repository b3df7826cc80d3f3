"""PostgreSQL's batched point reads (store/pgbatch.py): reads waiting at once share one
statement, and each gets its own row.

The reads of one pass of the event loop must go out together and come back
to the right readers (none, one, or a key asked twice); a failure must fail
exactly the reads of its statement and leave the connection fit for the
next; a connection the server dropped while idle must cost a reconnect, a
server out of reach must be the 503 kind of error, and a reader that gives
up must not take another reader's answer with it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from leadhub.store.db import is_unavailable
from leadhub.store.pgbatch import BATCH_MAX, Batched, BatchReads, keys

# Squares of the keys asked, but none for 13: one row per key that has one.
SQUARES = Batched(
    f"SELECT k.n, k.x * k.x, k.label FROM {keys(x='int', label='text')} WHERE k.x <> 13"
)
# Fails for a key of 0 (division by zero), and with it every read of its statement.
INVERSES = Batched(f"SELECT k.n, 100 / k.x FROM {keys(x='int')}")
BACKEND = Batched(f"SELECT k.n, pg_backend_pid() FROM {keys(x='int')}")


@pytest.fixture
def url(db) -> sa.URL:  # type: ignore[no-untyped-def]
    if db.is_sqlite:
        pytest.skip("PostgreSQL's batched reads")
    return db.engine.url


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_reads_waiting_at_once_share_one_statement(url) -> None:
    batch = BatchReads(url)

    async def go() -> list[Any]:
        keys = [(x, f"x{x}") for x in (3, 13, 5, 3, -2)]
        return await asyncio.gather(*(batch.get(SQUARES, key) for key in keys))

    assert _run(go()) == [(1, 9, "x3"), None, (3, 25, "x5"), (4, 9, "x3"), (5, 4, "x-2")]
    assert batch.statements == 1
    batch.close()


def test_reads_beyond_a_statement_wait_for_the_next(url) -> None:
    """More readers than BATCH_MAX, and than connections: every one is answered, in as
    few statements as the batches allow."""
    batch = BatchReads(url, connections=2)

    async def go() -> list[Any]:
        return await asyncio.gather(
            *(batch.get(SQUARES, (x, "")) for x in range(2 * BATCH_MAX + 5)))

    rows = _run(go())
    assert [r[1] if r else None for r in rows] == [
        None if x == 13 else x * x for x in range(2 * BATCH_MAX + 5)]
    assert batch.statements == 3
    batch.close()


def test_reads_one_after_another_reuse_one_connection(url) -> None:
    batch = BatchReads(url)

    async def go() -> list[int]:
        return [(await batch.get(BACKEND, (1,)))[1] for _ in range(3)]

    pids = _run(go())
    assert len(set(pids)) == 1 and batch.statements == 3
    batch.close()
    assert not batch._idle


def test_a_failed_statement_fails_its_reads_only(url) -> None:
    """A statement's error reaches every read of that statement, none of the others',
    and its connection (autocommit: no failed transaction) serves the next read."""
    batch = BatchReads(url, connections=1)

    async def go() -> tuple[list[Any], int, int]:
        before = (await batch.get(BACKEND, (1,)))[1]
        results = await asyncio.gather(
            batch.get(INVERSES, (0,)), batch.get(INVERSES, (4,)), batch.get(SQUARES, (2, "")),
            return_exceptions=True,
        )
        after = (await batch.get(BACKEND, (1,)))[1]
        return results, before, after

    (zero, four, square), before, after = _run(go())
    assert isinstance(zero, sa.exc.DBAPIError) and isinstance(four, sa.exc.DBAPIError)
    assert zero.orig.sqlstate == "22012" and not is_unavailable(zero)  # division by zero
    assert square == (1, 4, "")
    assert before == after
    batch.close()


def test_a_connection_dropped_while_idle_is_replaced_not_an_error(url, store_url) -> None:
    batch = BatchReads(url)

    async def pid() -> int:
        return (await batch.get(BACKEND, (1,)))[1]

    async def go() -> tuple[int, int]:
        first = await pid()
        with psycopg.connect(store_url, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (first,)).fetchone()[0]
        await asyncio.sleep(0.05)
        return first, await pid()

    first, second = _run(go())
    assert first != second
    batch.close()


def test_a_store_out_of_reach_is_unavailable(url) -> None:
    gone = BatchReads(sa.make_url("postgresql+psycopg://postgres@127.0.0.1:1/none"))
    with pytest.raises(sa.exc.OperationalError) as raised:
        _run(gone.get(SQUARES, (1, "")))
    assert is_unavailable(raised.value)


def test_a_reader_that_gives_up_leaves_the_others_their_answers(url) -> None:
    batch = BatchReads(url)

    async def go() -> Any:
        slow = Batched(f"SELECT k.n, k.x, pg_sleep(0.2) FROM {keys(x='int')}")
        kept = asyncio.ensure_future(batch.get(slow, (7,)))
        dropped = asyncio.ensure_future(batch.get(slow, (8,)))
        await asyncio.sleep(0.05)
        dropped.cancel()
        return await kept, await asyncio.gather(dropped, return_exceptions=True)

    kept, (dropped,) = _run(go())
    assert kept[:2] == (1, 7) and isinstance(dropped, asyncio.CancelledError)
    batch.close()


def test_reads_on_a_new_event_loop_start_over(url) -> None:
    """An asyncio connection belongs to its loop: a read on another loop (a test's,
    a restarted server's) does not reuse the old loop's connections."""
    batch = BatchReads(url)
    first = _run(batch.get(BACKEND, (1,)))[1]
    old = list(batch._idle)
    second = _run(batch.get(BACKEND, (1,)))[1]
    assert first != second and all(c.closed for c in old)
    batch.close()

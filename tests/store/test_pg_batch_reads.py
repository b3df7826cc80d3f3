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


def test_a_key_json_cannot_hold_fails_its_reads(url) -> None:
    """A key that cannot be sent (text that is not Unicode, bytes) fails the reads of its
    statement, which do not wait for ever, and the next reads go on."""
    batch = BatchReads(url, connections=1)

    async def go() -> tuple[list[Any], Any]:
        failed = await asyncio.wait_for(asyncio.gather(
            batch.get(SQUARES, (2, "\ud800")), batch.get(SQUARES, (3, b"x")),
            return_exceptions=True), 5)
        return failed, await batch.get(SQUARES, (4, "ok"))

    failed, after = _run(go())
    assert all(isinstance(f, TypeError) for f in failed), failed
    assert after == (1, 16, "ok")
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


def test_statements_of_their_own_share_the_connections_in_turn(url, store_url) -> None:
    """``read`` runs a statement of its own (a list page) on the same connections: no
    more than the connections at once, in turn with the gathered reads; its error is its
    reader's alone, and a reader that gave up is not read for."""
    batch = BatchReads(url, connections=2)
    lock = 7_340_001

    async def go() -> tuple[list[Any], Any, list[int], Any]:
        with psycopg.connect(store_url, autocommit=True) as holder:
            holder.execute("SELECT pg_advisory_lock(%s)", (lock,))
            # Three statements that wait for the lock and a gathered read: the first
            # statement and the gathered read run in turn, then the second statement
            # takes the gathered read's connection; the third waits for one.
            blocked = [asyncio.ensure_future(batch.read(
                "SELECT pg_backend_pid(), pg_advisory_lock_shared(%(lock)s), "
                "pg_advisory_unlock_shared(%(lock)s), %(n)s", {"lock": lock, "n": n}))
                for n in range(3)]
            gathered = asyncio.ensure_future(batch.get(SQUARES, (3, "g")))
            gave_up = asyncio.ensure_future(batch.read("SELECT 1/0", {}))
            await asyncio.sleep(0.3)
            running = holder.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s "
                "AND NOT granted", (lock,)).fetchone()[0]
            waiting = [f.done() for f in (*blocked, gathered)]
            gave_up.cancel()
            holder.execute("SELECT pg_advisory_unlock(%s)", (lock,))
        rows = [await f for f in blocked]
        failed = await asyncio.gather(batch.read("SELECT 1/0", {}), return_exceptions=True)
        return rows, (running, waiting), [await gathered], failed[0]

    rows, (running, waiting), gathered, failed = _run(go())
    assert running == 2 and waiting == [False, False, False, True]
    assert [r[0][3] for r in rows] == [0, 1, 2]
    assert len({r[0][0] for r in rows}) == 2  # on the two connections
    assert gathered == [(1, 9, "g")]
    assert isinstance(failed, sa.exc.DBAPIError) and failed.orig.sqlstate == "22012"
    assert batch.statements == 5  # three, the gathered read, the failure: not the one given up
    batch.close()


def test_list_pages_do_not_hold_up_point_reads(db, store_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """v1 list pages run on connections of their own (``Database.batch_pages``): while
    every one of them waits, point reads are still answered."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL's batched reads")
    from starlette.datastructures import QueryParams

    from leadhub import portals
    from leadhub.leads import documents
    from leadhub.leads.params import parse_list
    from leadhub.store import leaddocs
    from leadhub.store.db import PAGE_READERS
    from tests.factories import make_lead

    portal_id = db.write_call(lambda conn: portals.create_portal(conn, "Pages").id)
    made = make_lead(db, portal_id)
    # Each page waits for a lock on its portal the test holds, and lists nothing.
    monkeypatch.setattr(leaddocs, "pg_page_docs", lambda sql: (
        "SELECT * FROM (SELECT pg_advisory_xact_lock_shared(7340, %(portal)s::int)::text AS x) s "
        "WHERE s.x = 'never'"))
    docs = documents.LeadDocuments(db, "http://pages.test")
    qp = QueryParams({})
    query = parse_list(portal_id, qp, qp.multi_items())[0].query

    async def go() -> tuple[bytes | None, list[bytes]]:
        with psycopg.connect(store_url, autocommit=True) as holder:
            holder.execute("SELECT pg_advisory_lock(7340, %s)", (portal_id,))
            pages = [asyncio.ensure_future(docs.pg.page(query)) for _ in range(PAGE_READERS + 1)]
            await asyncio.sleep(0.2)  # every connection for pages taken, and waiting
            read = await asyncio.wait_for(docs.pg.by_guid(portal_id, made.guid), 10)
            assert not any(p.done() for p in pages)
            holder.execute("SELECT pg_advisory_unlock(7340, %s)", (portal_id,))
        return read, [await p for p in pages]

    read, pages = _run(go())
    assert read is not None and f'"guid":"{made.guid}"'.encode() in read
    assert pages == [b"[]"] * (PAGE_READERS + 1)


def test_a_statement_with_its_values_inline_reads_the_same_rows_planned_once(url) -> None:
    """``read(..., inline=True)`` writes the values into the text, quoted by psycopg
    (quotes, backslashes, percent signs, placeholders' look-alikes, non-ASCII), reads
    the rows the parameters read, and, run again, is prepared on its connection
    without parameters: PostgreSQL plans it once, for its values."""
    batch = BatchReads(url, connections=1)
    sql = "SELECT /* inline */ %(n)s::int, '%%' || %(text)s || '%%', %(flag)s::boolean"
    values = [{"n": 7, "text": text, "flag": flag} for text, flag in (
        ("a'b", True), ("back\\slash", False), ("%(n)s", True), ("zo\u00eb \u2603", False),
        ("100%", True))]
    prepared = ("SELECT statement, parameter_types::text, generic_plans, custom_plans "
                "FROM pg_prepared_statements WHERE statement LIKE '%%/* inline */%%'")

    async def go() -> tuple[list[Any], list[Any]]:
        out = []
        for params in values:
            out.append(await batch.read(sql, params))
            out.append([await batch.read(sql, params, inline=True) for _ in range(8)])
        return out, await batch.read(prepared, {})

    found, statements = _run(go())
    for params, plain, inline in zip(values, found[::2], found[1::2], strict=True):
        assert plain == [(7, f"%{params['text']}%", params["flag"])]
        assert inline == [plain] * 8
    inline_texts = [row for row in statements if "$1" not in row[0]]
    assert len(inline_texts) == len(values), statements
    assert all(types == "{}" and generic >= 1 and custom == 0
               for _, types, generic, custom in inline_texts), inline_texts
    batch.close()

"""Looks at PostgreSQL's snapshot on a connection of their own (store/pglook.py,
store/pgbatch.py ``BatchReads.snapshot``).

A look must start after it was asked: one asked while another runs waits for
the next statement, and sees what was committed in between. The looks share
one connection, which outlives a restart of its server process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from leadhub.store.pglook import SNAPSHOT, SnapshotLooks
from leadhub.store.pgpoint import conninfo


@pytest.fixture
def looks(url: sa.URL) -> Iterator[SnapshotLooks]:
    looks = SnapshotLooks(conninfo(url))
    yield looks
    looks.close()


def _lookers(other: psycopg.Connection[Any]) -> list[int]:
    """The server processes of this database whose last statement was a look (one
    ended a moment ago may still be listed: waited for, up to 5 s)."""
    for _ in range(50):
        rows = other.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND query = %s",
            (SNAPSHOT,)).fetchall()
        if len(rows) <= 1:
            break
        time.sleep(0.1)
    return [pid for (pid,) in rows]


def test_a_look_asked_while_another_runs_waits_for_a_statement_of_its_own(
    batch, other
) -> None:
    async def go() -> tuple[str, str, int]:
        earlier = await batch.snapshot()  # (and the looks' connection is made)
        before = batch.statements
        first = asyncio.ensure_future(batch.snapshot())
        for _ in range(10):
            await asyncio.sleep(0)
            if batch._snapshots.busy:
                break
        assert batch._snapshots.busy  # the first look is sent
        other.execute("UPDATE scratch SET v = 'changed 1' WHERE k = 1")
        second = await batch.snapshot()  # asked after the commit
        await first
        return earlier, second, batch.statements - before

    earlier, second, statements = asyncio.run(go())
    # The second look did not share the first, which was sent before the commit (and
    # may or may not have read the snapshot before it): a statement of its own...
    assert statements == 2
    # ... which saw the commit.
    assert second != earlier


def test_looks_waiting_at_once_share_one_statement_on_one_connection(batch, other) -> None:
    async def go() -> tuple[set[str], int]:
        await batch.snapshot()
        before = batch.statements
        seen = await asyncio.gather(*(batch.snapshot() for _ in range(20)))
        for _ in range(3):
            await batch.snapshot()
        return set(seen), batch.statements - before

    seen, statements = asyncio.run(go())
    assert len(seen) == 1 and statements == 4
    assert len(_lookers(other)) == 1  # every look on the one connection


@pytest.mark.parametrize("pause", [0.0, 0.2], ids=["at-once", "noticed-while-idle"])
def test_a_dropped_connection_is_made_again(looks, other, pause) -> None:
    """A server process ended between looks (a restart, an administrator): the next
    look answers on a new connection, whether the drop was noticed before it or only
    by its own statement."""

    async def go() -> list[str]:
        seen = [await looks.look()]
        (pid,) = _lookers(other)
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        await asyncio.sleep(pause)
        seen.append(await looks.look())
        other.execute("UPDATE scratch SET v = 'changed 2' WHERE k = 1")
        seen.append(await looks.look())
        return seen

    first, again, after = asyncio.run(go())
    assert again == first != after  # the new connection sees the same server
    assert len(_lookers(other)) == 1


def test_a_look_given_up_is_not_answered_to_the_next(looks, other) -> None:
    """The statement of a look given up may still answer: the next look, which must
    start after it was asked, goes on a new connection."""

    async def go() -> tuple[str, str, list[int], list[int]]:
        first = await looks.look()
        before = _lookers(other)
        quitter = asyncio.ensure_future(looks.look())
        await asyncio.sleep(0)
        assert looks.busy  # sent
        quitter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await quitter
        assert not looks.busy
        other.execute("UPDATE scratch SET v = 'changed 3' WHERE k = 1")
        after = await looks.look()
        return first, after, before, _lookers(other)

    first, after, before, lookers = asyncio.run(go())
    assert first != after
    assert len(before) == len(lookers) == 1 and before != lookers


def test_a_store_out_of_reach_raises_the_stores_error(url) -> None:
    looks = SnapshotLooks(conninfo(url.set(port=1)))  # a port nothing listens on
    with pytest.raises(sa.exc.DBAPIError):
        asyncio.run(looks.look())
    assert not looks.busy

"""Answers kept on PostgreSQL while nothing is committed (store/pgbatch.py
``BatchReads.kept_or_read``, store/kept.py).

A kept answer is answered only when a snapshot taken after the reader asked
is the one the answer was read after. Here the reads are counted: an answer
must come from memory while nothing is committed, whatever many reads share
one look at the snapshot; and any commit, by any connection to any table,
made before a reader asks, must send that reader to the store. A reader
that gives up must leave the others their answers.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from leadhub.store.db import is_unavailable
from leadhub.store.pgbatch import LOOKS_SKIPPED, BatchReads
from leadhub.store.pgpoint import conninfo


class Reader:
    """A read of ``scratch`` through a batch's own connection, counted."""

    def __init__(self, batch: BatchReads) -> None:
        self.batch = batch
        self.reads = 0

    async def __call__(self) -> bytes | None:
        self.reads += 1
        rows = await self.batch.read("SELECT v FROM scratch WHERE k = 1", {})
        return rows[0][0].encode() if rows else None

    async def kept(self) -> bytes | None:
        return await self.batch.kept_or_read(("scratch", 1), self)


def test_an_answer_is_kept_from_its_second_read_while_nothing_is_committed(batch, other) -> None:
    read = Reader(batch)

    async def go() -> list[bytes | None]:
        return [await read.kept() for _ in range(5)]

    assert asyncio.run(go()) == [b"one"] * 5
    assert read.reads == 2  # the first two read, the rest are answered from memory


def test_the_reads_of_a_pass_share_one_look(batch, other) -> None:
    read = Reader(batch)

    async def go() -> tuple[list[bytes | None], int]:
        await read.kept()
        await read.kept()
        before = batch.statements
        answers = await asyncio.gather(*(read.kept() for _ in range(20)))
        return answers, batch.statements - before

    answers, statements = asyncio.run(go())
    assert answers == [b"one"] * 20 and read.reads == 2
    assert statements == 1  # one look at the snapshot for the twenty


def test_a_commit_elsewhere_is_in_the_next_answer(batch, other) -> None:
    read = Reader(batch)

    async def go() -> list[bytes | None]:
        seen = [await read.kept() for _ in range(3)]
        other.execute("UPDATE scratch SET v = 'two' WHERE k = 1")
        seen.append(await read.kept())
        return seen

    assert asyncio.run(go()) == [b"one"] * 3 + [b"two"]
    assert read.reads == 3  # read again after the commit


def test_after_a_look_finds_a_change_reads_go_without_one_for_a_while(batch, other) -> None:
    """Under writes most looks find a change. After one does, the next LOOKS_SKIPPED
    reads of kept answers go to the store without a look, one statement each (and
    show every commit); the read after them looks again, and is answered from memory
    if nothing changed since."""
    read = Reader(batch)

    async def go() -> None:
        for _ in range(3):
            await read.kept()
        other.execute("UPDATE scratch SET v = 'two' WHERE k = 1")
        assert await read.kept() == b"two"  # its look found the change
        reads, statements = read.reads, batch.statements
        for _ in range(LOOKS_SKIPPED):
            assert await read.kept() == b"two"
        assert read.reads - reads == batch.statements - statements == LOOKS_SKIPPED
        assert await read.kept() == b"two"
        assert read.reads - reads == LOOKS_SKIPPED  # from memory
        assert batch.statements - statements == LOOKS_SKIPPED + 1  # after its look
        # The reads without a look show every commit.
        other.execute("UPDATE scratch SET v = 'three' WHERE k = 1")
        assert await read.kept() == b"three"  # its look found the change
        statements = batch.statements
        other.execute("UPDATE scratch SET v = 'four' WHERE k = 1")
        assert await read.kept() == b"four"
        assert batch.statements == statements + 1  # without a look

    asyncio.run(go())


def test_a_commit_to_any_table_empties_them(batch, other) -> None:
    read = Reader(batch)

    async def go() -> int:
        for _ in range(3):
            await read.kept()
        before = read.reads
        other.execute("INSERT INTO elsewhere VALUES (1)")
        await read.kept()
        return read.reads - before

    assert asyncio.run(go()) == 1


def test_a_transaction_still_open_changes_nothing_until_it_commits(
    url, batch, other
) -> None:
    """A write not yet committed is in no read's answer; its commit is in the next."""
    read = Reader(batch)

    async def go(writer: psycopg.Connection[Any]) -> list[bytes | None]:
        seen = [await read.kept() for _ in range(3)]
        writer.execute("UPDATE scratch SET v = 'open' WHERE k = 1")
        seen += [await read.kept() for _ in range(2)]
        writer.commit()
        seen.append(await read.kept())
        return seen

    with psycopg.connect(conninfo(url)) as writer:
        assert asyncio.run(go(writer)) == [b"one"] * 5 + [b"open"]


def test_an_answer_read_before_a_commit_is_not_answered_after_it(batch, other) -> None:
    """A read that ends after a commit it does not show (it read before the commit)
    is kept, but only until the next look, which sees the commit."""
    read = Reader(batch)
    stale: list[int] = []

    async def before_the_commit() -> bytes | None:
        body = await read()
        other.execute("UPDATE scratch SET v = 'later' WHERE k = 1")
        stale.append(1)
        return body

    async def go() -> list[bytes | None]:
        await read.kept()  # seen once: the next read is kept
        first = await batch.kept_or_read(("scratch", 1), before_the_commit)
        return [first, await read.kept(), await read.kept()]

    assert asyncio.run(go()) == [b"one", b"later", b"later"] and stale == [1]


def test_a_read_under_way_when_a_look_sees_a_commit_is_not_kept(batch, other) -> None:
    """A read that began before a look saw the snapshot move may hold what was there
    before: it is answered, but kept under neither snapshot."""
    read = Reader(batch)
    other.execute("INSERT INTO scratch VALUES (2, 'b') ON CONFLICT (k) DO UPDATE SET v = 'b'")

    async def read_two() -> bytes | None:
        rows = await batch.read("SELECT v FROM scratch WHERE k = 2", {})
        return rows[0][0].encode()

    async def slow_old_one() -> bytes | None:
        body = await read()
        other.execute("UPDATE scratch SET v = 'new' WHERE k = 1")
        # Meanwhile another reader's look sees the commit.
        assert await batch.kept_or_read(("scratch", 2), read_two) == b"b"
        return body

    async def go() -> list[bytes | None]:
        for _ in range(3):  # both keys kept
            await read.kept()
            await batch.kept_or_read(("scratch", 2), read_two)
        batch.answers.answers.pop(("scratch", 1))  # as if pushed out: read again
        first = await batch.kept_or_read(("scratch", 1), slow_old_one)
        return [first, await read.kept()]

    assert asyncio.run(go()) == [b"one", b"new"]


def test_a_reader_that_gives_up_leaves_the_others_their_answers(batch, other) -> None:
    read = Reader(batch)

    async def go() -> list[Any]:
        await read.kept()
        await read.kept()
        quitter = asyncio.ensure_future(read.kept())
        others = [asyncio.ensure_future(read.kept()) for _ in range(3)]
        await asyncio.sleep(0)  # all four wait for the same look
        quitter.cancel()
        return await asyncio.gather(quitter, *others, return_exceptions=True)

    found = asyncio.run(go())
    assert isinstance(found[0], asyncio.CancelledError)
    assert found[1:] == [b"one"] * 3


def test_answers_start_over_on_a_new_event_loop(batch, other) -> None:
    read = Reader(batch)

    async def go() -> None:
        for _ in range(3):
            await read.kept()

    asyncio.run(go())
    assert read.reads == 2
    asyncio.run(go())
    assert read.reads == 4  # nothing kept from the loop before


def test_a_store_out_of_reach_is_unavailable_not_a_kept_answer(url) -> None:
    """Without a look at the snapshot nothing kept is answered: the store's error is."""
    gone = BatchReads(url.set(port=1))  # a port nothing listens on
    gone.answers.version = "1:1:"
    gone.answers.answers[("scratch", 1)] = b"one"
    read = Reader(gone)
    with pytest.raises(sa.exc.DBAPIError) as raised:
        asyncio.run(read.kept())
    assert is_unavailable(raised.value) and read.reads == 0

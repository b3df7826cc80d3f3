"""The point reads of one pass of the event loop share one SQLite snapshot.

``Database.shared_snapshots`` (around the server's lifespan) makes the reads
``fast_rows`` runs on the loop's thread read the snapshot opened by the
first of them in the pass, until the loop's next pass or this process's next
commit (store/sqliteraw.py ``LoopSnapshot``). A plain sqlite3 connection here
stands for another process: its commits are not counted as this process's.

The answers the loop's reads keep (``Database.kept_answers``,
``KeptAnswers``) are emptied whenever SQLite's ``data_version`` says that
some connection has committed since they were read.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from leadhub.store import Database
from leadhub.store.kept import KEPT_BYTES, SEEN_KEYS
from leadhub.store.migrate import upgrade

READ = "SELECT v FROM scratch WHERE k = 1"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'snap.db'}")
    upgrade(database)
    with database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE scratch (k INTEGER PRIMARY KEY, v TEXT)")
        conn.exec_driver_sql("INSERT INTO scratch VALUES (1, 'a')")
    yield database
    database.dispose()


@pytest.fixture
def other(db: Database) -> Iterator[sqlite3.Connection]:
    """Another program's connection to the same file."""
    assert db.fast_path is not None
    conn = sqlite3.connect(db.fast_path, isolation_level=None, timeout=0, check_same_thread=False)
    yield conn
    conn.close()


def value(db: Database) -> str:
    return str(db.fast_rows(READ, ())[0][0])


def set_elsewhere(other: sqlite3.Connection, v: str) -> None:
    other.execute("UPDATE scratch SET v = ?", (v,))


def set_here(db: Database, v: str) -> None:
    with db.write() as conn:
        conn.execute(sa.text("UPDATE scratch SET v = :v"), {"v": v})


def run(db: Database, scenario) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        with db.shared_snapshots():
            await scenario()

    asyncio.run(main())


def test_reads_of_one_pass_share_a_snapshot_that_ends_with_the_pass(db, other) -> None:
    async def scenario() -> None:
        assert value(db) == "a"
        set_elsewhere(other, "b")
        assert value(db) == "a"  # the pass's snapshot, opened before the commit
        await asyncio.sleep(0)
        assert value(db) == "b"  # the next pass: a snapshot of its own
        set_elsewhere(other, "c")
        await asyncio.sleep(0)
        assert value(db) == "c"

    run(db, scenario)


def test_a_snapshot_does_not_hold_the_file_past_its_pass(db, other) -> None:
    """A snapshot left open keeps the WAL from being checkpointed and reset."""

    def truncate() -> int:
        busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return int(busy)

    async def scenario() -> None:
        set_elsewhere(other, "b")
        assert value(db) == "b"
        set_elsewhere(other, "c")  # past the snapshot: a reader still needs the WAL
        assert truncate() == 1
        await asyncio.sleep(0)
        assert truncate() == 0
        assert value(db) == "c"

    run(db, scenario)
    assert truncate() == 0  # and none is left when sharing ends


def test_a_commit_of_this_process_ends_the_snapshot_at_once(db, other) -> None:
    async def scenario() -> None:
        assert value(db) == "a"
        set_here(db, "b")  # on the loop's own thread, in the same pass
        assert value(db) == "b"
        await asyncio.to_thread(set_here, db, "c")  # from a worker thread
        assert value(db) == "c"
        assert value(db) == "c"
        # Another program's commit: seen once an await has ended the pass.
        set_elsewhere(other, "d")
        await asyncio.to_thread(lambda: None)
        assert value(db) == "d"

    run(db, scenario)


def test_reads_made_together_keep_one_snapshot_through_a_commit(db, other) -> None:
    async def scenario() -> None:
        with db.fast_read() as fast:
            assert fast(READ, ()) == [("a",)]
            set_here(db, "b")
            assert fast(READ, ()) == [("a",)]
        assert value(db) == "b"  # the next read after them: the commit is seen

    run(db, scenario)


def test_reads_made_together_off_the_loop_have_a_transaction_of_their_own(db, other) -> None:
    with db.fast_read() as fast:
        assert fast(READ, ()) == [("a",)]
        set_elsewhere(other, "b")
        assert fast(READ, ()) == [("a",)]
    assert value(db) == "b"
    conn = db._raw.reader()
    assert not conn.in_transaction


def test_only_the_loops_thread_shares(db, other) -> None:
    seen: list[str] = []

    def in_thread() -> None:
        seen.append(value(db))
        set_elsewhere(other, "b")
        seen.append(value(db))

    async def scenario() -> None:
        assert value(db) == "a"
        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
        assert seen == ["a", "b"]  # each statement of the thread: a snapshot of its own
        assert value(db) == "a"  # the loop's pass still reads its own

    run(db, scenario)
    assert value(db) == "b"  # outside: a snapshot per statement again


# Answers kept until a commit (``KeptAnswers``): emptied whenever SQLite's data_version
# says that some connection has committed since they were read.


def kept(db: Database, key: str) -> bytes | None:
    answers = db.kept_answers()
    assert answers is not None
    return answers.get(key)


def keep(db: Database, key: str, body: bytes) -> None:
    """Keep an answer: read twice (a key read once is only remembered)."""
    answers = db.kept_answers()
    assert answers is not None
    answers.put(key, body)
    answers.put(key, body)


def test_an_answer_is_kept_from_its_second_read(db) -> None:
    async def scenario() -> None:
        answers = db.kept_answers()
        assert answers is not None
        answers.put("once", b"a")
        assert kept(db, "once") is None
        answers.put("once", b"a")
        assert kept(db, "once") == b"a"
        for i in range(SEEN_KEYS + 1):  # more keys read once than are remembered
            answers.put(("other", i), b"b")
        assert len(answers.seen) <= SEEN_KEYS
        assert len(answers.answers) == 1  # none of those kept
        assert kept(db, "once") == b"a"

    run(db, scenario)


def test_answers_are_kept_across_passes_while_nothing_is_committed(db) -> None:
    async def scenario() -> None:
        keep(db, "k", b"a")
        for _ in range(3):
            await asyncio.sleep(0)  # new passes, new snapshots, the same data
            assert kept(db, "k") == b"a"
            assert db.fast_rows("SELECT v FROM scratch", ()) == [("a",)]

    run(db, scenario)


def test_a_commit_elsewhere_empties_them_from_the_next_pass(db, other) -> None:
    async def scenario() -> None:
        keep(db, "k", b"a")
        other.execute("UPDATE scratch SET v = 'b'")
        # This pass's snapshot was opened before that commit: what it reads is unchanged.
        assert kept(db, "k") == b"a"
        assert db.fast_rows("SELECT v FROM scratch", ()) == [("a",)]
        await asyncio.sleep(0)
        assert kept(db, "k") is None
        assert db.fast_rows("SELECT v FROM scratch", ()) == [("b",)]

    run(db, scenario)


def test_a_commit_of_this_process_empties_them_at_once(db) -> None:
    async def scenario() -> None:
        keep(db, "k", b"a")
        with db.write() as conn:
            conn.execute(sa.text("UPDATE scratch SET v = 'c'"))
        assert kept(db, "k") is None  # in the same pass: the snapshot after the commit
        keep(db, "k", b"c")
        await asyncio.sleep(0)
        assert kept(db, "k") == b"c"

    run(db, scenario)


def test_a_commit_to_any_table_empties_them(db, other) -> None:
    async def scenario() -> None:
        keep(db, "k", b"a")
        await asyncio.sleep(0)
        other.execute("CREATE TABLE elsewhere (x)")
        await asyncio.sleep(0)
        assert kept(db, "k") is None
        keep(db, "k", b"a")
        other.execute("INSERT INTO elsewhere VALUES (1)")
        await asyncio.sleep(0)
        assert kept(db, "k") is None

    run(db, scenario)


def test_nothing_is_kept_off_the_loop(db) -> None:
    seen: list[object] = []

    async def scenario() -> None:
        keep(db, "k", b"a")
        thread = threading.Thread(target=lambda: seen.append(db.kept_answers()))
        thread.start()
        thread.join()

    run(db, scenario)
    assert seen == [None]
    assert db.kept_answers() is None  # outside the server's snapshots, too


def test_they_are_bounded(db) -> None:
    async def scenario() -> None:
        answers = db.kept_answers()
        assert answers is not None
        body = b"x" * (KEPT_BYTES // 3)
        for i in range(10):
            answers.put(i, body)
            answers.put(i, body)
            assert answers.size <= KEPT_BYTES
            assert answers.get(i) == body
        assert sum(map(len, answers.answers.values())) == answers.size

    run(db, scenario)


def test_kept_or_read_reads_until_the_answer_is_kept(db, other) -> None:
    reads: list[str] = []

    def read() -> bytes:
        reads.append("read")
        return str(value(db)).encode()

    async def scenario() -> None:
        for _ in range(4):
            assert db.kept_or_read("k", read) == b"a"
            await asyncio.sleep(0)
        assert len(reads) == 2  # the first read remembered, the second kept
        assert db.kept_or_read("none", lambda: None) is None
        assert db.kept_or_read("none", lambda: None) is None
        assert kept(db, "none") is None  # nothing to answer is never kept
        set_elsewhere(other, "b")
        await asyncio.sleep(0)
        assert db.kept_or_read("k", read) == b"b"
        assert len(reads) == 3

    run(db, scenario)
    assert db.kept_or_read("k", read) == b"b"  # off the loop: read every time
    assert db.kept_or_read("k", read) == b"b"
    assert len(reads) == 5

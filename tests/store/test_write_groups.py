"""API writes waiting for a SQLite store at once are committed together (Database.awrite).

Each write runs in a savepoint of its own inside the group's transaction: one
that raises is undone alone and its caller gets its error; the others are
committed, and every caller is answered only after the commit. A write that
ends the whole transaction fails the writes that ran before it in the group
(none of them was committed) and leaves the rest to the next group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from leadhub.store import Database, sqliteraw, writegroups


@pytest.fixture
def table(db: Database) -> str:
    if db.fast_path is None:
        pytest.skip("writes are committed together on a SQLite file only")
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS write_groups (k TEXT PRIMARY KEY)")
        conn.exec_driver_sql("DELETE FROM write_groups")
    return "write_groups"


def _insert(key: str) -> Callable[[sa.Connection], str]:
    def write(conn: sa.Connection) -> str:
        conn.exec_driver_sql("INSERT INTO write_groups (k) VALUES (?)", (key,))
        return key
    return write


def _stored(db: Database) -> set[str]:
    with db.read() as conn:
        return {r[0] for r in conn.exec_driver_sql("SELECT k FROM write_groups")}


def _grouped(db: Database, writes: list[Callable[[sa.Connection], Any]]) -> tuple[list[Any], int]:
    """Run the writes through ``awrite`` while the store's write lock is held, so that all
    of them wait at once; returns each one's result or error, and how many write
    transactions were committed."""
    lock = db._write_lock
    assert lock is not None

    async def go() -> list[Any]:
        tasks = [asyncio.ensure_future(db.awrite(w)) for w in writes]
        for _ in range(500):
            if len(db._groups.pending) == len(writes):
                break
            await asyncio.sleep(0.01)
        assert len(db._groups.pending) == len(writes)
        lock.release()
        return await asyncio.gather(*tasks, return_exceptions=True)

    commits = sqliteraw._commits
    lock.acquire()
    try:
        results = asyncio.run(go())
    finally:
        if lock._is_owned():  # type: ignore[attr-defined]
            lock.release()
    return results, sqliteraw._commits - commits


def test_waiting_writes_commit_together(db: Database, table: str) -> None:
    keys = [f"k{i}" for i in range(20)]
    results, commits = _grouped(db, [_insert(k) for k in keys])
    assert results == keys
    assert _stored(db) == set(keys)
    assert commits == 1  # GROUP_MAX is more than 20


def test_a_failed_write_is_undone_alone(db: Database, table: str) -> None:
    def fails(conn: sa.Connection) -> None:
        conn.exec_driver_sql("INSERT INTO write_groups (k) VALUES ('half')")
        raise ValueError("refused")

    def fails_nested(conn: sa.Connection) -> None:
        # A savepoint of the engine's left open by the write that raised.
        conn.begin_nested()
        conn.exec_driver_sql("INSERT INTO write_groups (k) VALUES ('nested')")
        raise KeyError("refused too")

    def clashes(conn: sa.Connection) -> None:
        conn.exec_driver_sql("INSERT INTO write_groups (k) VALUES ('a')")

    writes = [_insert("a"), fails, _insert("b"), fails_nested, _insert("c"), clashes,
              _insert("d")]
    results, commits = _grouped(db, writes)
    assert results[0] == "a" and results[2] == "b" and results[4] == "c"
    assert results[6] == "d"
    assert isinstance(results[1], ValueError)
    assert isinstance(results[3], KeyError)
    assert isinstance(results[5], sa.exc.IntegrityError)
    assert _stored(db) == {"a", "b", "c", "d"}
    assert commits == 1


def test_a_write_that_ends_the_transaction_fails_those_before_it(
    db: Database, table: str
) -> None:
    def ends(conn: sa.Connection) -> None:
        conn.connection.driver_connection.execute("ROLLBACK")  # as SQLite does on a full disk
        raise OSError("disk full")

    results, commits = _grouped(db, [_insert("e"), _insert("f"), ends, _insert("g")])
    # The two before it were not committed: their callers get the error.
    assert [type(r) for r in results[:3]] == [OSError, OSError, OSError]
    # The one after it waited for the next group.
    assert results[3] == "g"
    assert _stored(db) == {"g"}
    assert commits == 1


def test_more_writes_than_a_group_holds(db: Database, table: str, monkeypatch) -> None:
    monkeypatch.setattr(writegroups, "GROUP_MAX", 4)
    keys = [f"m{i}" for i in range(10)]
    results, commits = _grouped(db, [_insert(k) for k in keys])
    assert results == keys
    assert _stored(db) == set(keys)
    assert commits == 3

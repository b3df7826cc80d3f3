"""The group commit of form posts stores every post of a group, as the ordinary write would.

On a SQLite file the group goes through one prebuilt insert on the writer's
own connection (``Database.raw_write``, ``queue.enqueue_sqlite``); elsewhere
through the engine (``queue.enqueue``). Both must leave the same rows, and a
failing row must fail alone, with the error SQLAlchemy would have raised.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
import sqlalchemy as sa

from leadhub.ingest.committer import GroupCommitter
from leadhub.store import Database
from leadhub.store import queue as queue_store
from leadhub.store.db import is_unavailable
from leadhub.store.schema import submissions
from leadhub.util import new_guid

FIELDS = [["Email", "group@example.com"], ["FirstName", "Zo\u00eb \"Q\""], ["Note", "a\nb"]]


def _row(guid: str, received_at: int = 1_700_000_000_000) -> dict:
    return {"guid": guid, "portal_id": 7, "form_id": 3, "form_name": "demo",
            "form_guid": "f" * 32, "fields": FIELDS, "received_at": received_at}


def _stored(db: Database, guid: str) -> dict:
    with db.read() as conn:
        row = conn.execute(sa.select(submissions).where(submissions.c.guid == guid)).one()
    return {k: v for k, v in row._mapping.items() if k not in ("id", "guid")}


def test_the_prebuilt_insert_leaves_the_rows_the_engine_leaves(db: Database) -> None:
    if not db.fast_path:
        pytest.skip("the prebuilt insert is SQLite's")
    by_engine, by_raw = new_guid(), new_guid()
    db.write_call(queue_store.enqueue, [_row(by_engine)])
    with db.raw_write() as conn:
        queue_store.enqueue_sqlite(conn, [_row(by_raw)])
    assert _stored(db, by_raw) == _stored(db, by_engine)
    assert db.read_call(queue_store.get_submission, by_raw).fields == [
        (k, v) for k, v in FIELDS]


def test_a_raw_write_that_fails_leaves_nothing_and_says_so_as_sqlalchemy(db: Database) -> None:
    if not db.fast_path:
        pytest.skip("raw writes are SQLite's")
    taken, fresh = new_guid(), new_guid()
    db.write_call(queue_store.enqueue, [_row(taken)])
    with pytest.raises(sa.exc.IntegrityError) as failed:
        with db.raw_write() as conn:
            queue_store.enqueue_sqlite(conn, [_row(fresh), _row(taken)])
    assert isinstance(failed.value.orig, sqlite3.IntegrityError)
    assert not is_unavailable(failed.value)
    assert db.read_call(queue_store.get_submission, fresh) is None
    with pytest.raises(RuntimeError):
        with db.raw_write() as conn:
            queue_store.enqueue_sqlite(conn, [_row(fresh)])
            raise RuntimeError("stop")
    assert db.read_call(queue_store.get_submission, fresh) is None
    # The connection is usable and durable afterwards.
    with db.raw_write() as conn:
        queue_store.enqueue_sqlite(conn, [_row(fresh)])
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.read_call(queue_store.get_submission, fresh) is not None


def test_a_group_with_a_bad_row_stores_the_others(db: Database) -> None:
    taken = new_guid()
    db.write_call(queue_store.enqueue, [_row(taken)])
    committed: list[int] = []
    committer = GroupCommitter(db, on_commit=lambda: committed.append(1))
    guids = [new_guid() for _ in range(5)]

    async def post_all() -> list:
        return await asyncio.gather(
            *(committer.enqueue(_row(g)) for g in [*guids[:2], taken, *guids[2:]]),
            return_exceptions=True,
        )

    try:
        outcomes = asyncio.run(post_all())
    finally:
        committer.stop()
    assert [type(o) for o in outcomes] == [
        type(None), type(None), sa.exc.IntegrityError, type(None), type(None), type(None)]
    for guid in guids:
        assert db.read_call(queue_store.get_submission, guid) is not None
    assert committed

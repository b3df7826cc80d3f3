"""The group commit of form posts stores every post of a group, as the ordinary write would.

On a SQLite file the group goes through one prebuilt insert on the writer's
own connection (``queue.enqueue_durably``, ``Database.raw_write``); on
PostgreSQL through one statement in autocommit (``Database.point_writes``);
elsewhere through the engine (``queue.enqueue``). Both must leave the same rows, and a
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
from tests.ingest.helpers import ROW_FIELDS, accepted_row


def _stored(db: Database, guid: str) -> dict:
    with db.read() as conn:
        row = conn.execute(sa.select(submissions).where(submissions.c.guid == guid)).one()
    return {k: v for k, v in row._mapping.items() if k not in ("id", "guid")}


def test_the_group_insert_leaves_the_rows_the_engine_leaves(db: Database) -> None:
    by_engine, by_group = new_guid(), new_guid()
    db.write_call(queue_store.enqueue, [accepted_row(by_engine)])
    queue_store.enqueue_durably(db, [accepted_row(by_group)])
    assert _stored(db, by_group) == _stored(db, by_engine)
    assert db.read_call(queue_store.get_submission, by_group).fields == [
        (k, v) for k, v in ROW_FIELDS]


def test_a_group_insert_that_fails_leaves_nothing_and_says_so_as_sqlalchemy(
    db: Database,
) -> None:
    taken, fresh = new_guid(), new_guid()
    db.write_call(queue_store.enqueue, [accepted_row(taken)])
    with pytest.raises(sa.exc.IntegrityError) as failed:
        queue_store.enqueue_durably(db, [accepted_row(fresh), accepted_row(taken)])
    assert not is_unavailable(failed.value)
    assert db.read_call(queue_store.get_submission, fresh) is None
    queue_store.enqueue_durably(db, [accepted_row(fresh)])
    assert db.read_call(queue_store.get_submission, fresh) is not None


def test_a_group_is_stored_in_the_order_it_was_posted(db: Database) -> None:
    """Workers claim submissions by id: a group's ids follow its posts' order."""
    guids = [new_guid() for _ in range(40)]
    queue_store.enqueue_durably(
        db, [accepted_row(g, 1_700_000_000_000 + n) for n, g in enumerate(guids)])
    with db.read() as conn:
        ids = dict(conn.execute(sa.select(submissions.c.guid, submissions.c.id)).all())
    assert [ids[g] for g in guids] == sorted(ids[g] for g in guids)
    stored = [db.read_call(queue_store.get_submission, g) for g in guids]
    assert [s.received_at for s in stored] == [1_700_000_000_000 + n for n in range(40)]
    assert {s.status for s in stored} == {queue_store.PENDING}


def test_an_empty_group_stores_nothing(db: Database) -> None:
    def count() -> int:
        with db.read() as conn:
            return int(conn.execute(
                sa.select(sa.func.count()).select_from(submissions)).scalar_one())

    before = count()
    queue_store.enqueue_durably(db, [])
    assert count() == before


def test_a_raw_write_rolls_back_on_any_error_and_stays_durable(db: Database) -> None:
    if not db.fast_path:
        pytest.skip("raw writes are SQLite's")
    guid = new_guid()
    db.write_call(queue_store.enqueue, [accepted_row(guid)])
    change = "UPDATE submissions SET last_error = 'changed' WHERE guid = ?"
    with pytest.raises(sa.exc.IntegrityError) as failed:
        with db.raw_write() as conn:
            conn.execute(change, (guid,))
            conn.execute("UPDATE submissions SET guid = NULL WHERE guid = ?", (guid,))
    assert isinstance(failed.value.orig, sqlite3.IntegrityError)
    with pytest.raises(RuntimeError):
        with db.raw_write() as conn:
            conn.execute(change, (guid,))
            raise RuntimeError("stop")
    assert db.read_call(queue_store.get_submission, guid).last_error is None
    with db.raw_write() as conn:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        conn.execute(change, (guid,))
    assert db.read_call(queue_store.get_submission, guid).last_error == "changed"


def test_a_group_with_a_bad_row_stores_the_others(db: Database) -> None:
    taken = new_guid()
    db.write_call(queue_store.enqueue, [accepted_row(taken)])
    committed: list[int] = []
    committer = GroupCommitter(db, on_commit=lambda: committed.append(1))
    guids = [new_guid() for _ in range(5)]

    async def post_all() -> list:
        return await asyncio.gather(
            *(committer.enqueue(accepted_row(g)) for g in [*guids[:2], taken, *guids[2:]]),
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

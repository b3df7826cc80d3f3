"""A read transaction sees one state of the store, whatever commits meanwhile.

A v1 lead is read in several statements (its row and contact, its events,
its log). Under PostgreSQL's default READ COMMITTED each statement would see
the commits made before it started; ``Database.read`` opens a
``REPEATABLE READ READ ONLY`` transaction there instead, and the connection
goes back to the pool as it was, for writes.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from leadhub import portals
from leadhub.store import Database


def _count(conn: sa.Connection, portal_id: int) -> int:
    return int(conn.execute(
        sa.text("SELECT count(*) FROM objects WHERE portal_id = :p"), {"p": portal_id}
    ).scalar_one())


def _add_object(db: Database, portal_id: int) -> None:
    with db.write() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO objects (portal_id, object_type, props, created_at, updated_at, "
                "archived) VALUES (:p, '0-1', '{}', 1, 1, false)"
            ),
            {"p": portal_id},
        )


def test_a_read_does_not_see_what_commits_after_its_first_statement(db: Database) -> None:
    portal_id = db.write_call(portals.create_portal, "snapshot").id
    _add_object(db, portal_id)
    with db.read() as conn:
        before = _count(conn, portal_id)
        _add_object(db, portal_id)  # another transaction commits in between
        assert _count(conn, portal_id) == before
    with db.read() as conn:
        assert _count(conn, portal_id) == before + 1


def test_postgresql_reads_are_repeatable_and_read_only_and_writes_are_not(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite's transactions are snapshots already")
    for _ in range(3):  # the same pooled connections serve reads and writes in turn
        with db.read() as conn:
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == (
                "repeatable read")
            assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
            with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
                conn.exec_driver_sql("CREATE TEMP TABLE nothing (x int)")
        with db.write() as conn:
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == (
                "read committed")
            assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "off"

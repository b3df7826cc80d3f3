"""Statements run on the driver's own connection (store/sql.py ``driver_query``,
``driver_execute``) fail as the engine's do: SQLAlchemy's error classes, the driver's
error as ``orig``, a lost connection marked as such, so that ``db.is_unavailable``
and the retries of clashes read them as before."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.store import Database
from leadhub.store import objects as obj_store
from leadhub.store.db import is_unavailable
from leadhub.store.objects import Change
from leadhub.store.sql import driver_execute, driver_executemany, driver_query


def test_a_clash_is_the_engines_integrity_error(db: Database) -> None:
    def clash(conn: sa.Connection) -> None:
        row = obj_store.insert(conn, portals.create_portal(conn, "Clash").id, ct.LEADS,
                               {"hs_lead_name": "a"}, Change(1, "API"))
        again = (row.id, row.portal_id, ct.LEADS, "{}", 1, 1, False)
        driver_execute(conn, "INSERT INTO objects (id, portal_id, object_type, props, "
                       "created_at, updated_at, archived) VALUES (?, ?, ?, ?, ?, ?, ?)", again)

    with pytest.raises(sa.exc.IntegrityError) as caught:
        db.write_call(clash)
    assert isinstance(caught.value.orig, db.engine.dialect.loaded_dbapi.Error)
    assert not is_unavailable(caught.value)


def test_bad_sql_is_the_engines_error_for_queries_and_many_rows(db: Database) -> None:
    with pytest.raises(sa.exc.DBAPIError):
        db.read_call(driver_query, "SELECT no_such_column FROM objects", ())
    with pytest.raises(sa.exc.DBAPIError):
        db.write_call(driver_executemany, "INSERT INTO no_such_table VALUES (?)", [(1,), (2,)])


def test_a_lost_connection_is_unavailable(db: Database, store_url: str) -> None:
    if db.is_sqlite:
        pytest.skip("a PostgreSQL server drops connections")

    def read_after_the_server_dropped_us(conn: sa.Connection) -> None:
        pid = driver_query(conn, "SELECT pg_backend_pid()", ())[0][0]
        with psycopg.connect(store_url, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        obj_store.get(conn, 1, ct.LEADS, 1)

    with pytest.raises(sa.exc.OperationalError) as caught:
        db.read_call(read_after_the_server_dropped_us)
    assert caught.value.connection_invalidated
    assert is_unavailable(caught.value)
    assert db.read_call(driver_query, "SELECT 1", ()) == [(1,)]  # the pool recovers

"""PostgreSQL's point-read connections (store/pgpoint.py): autocommit, read-only, no ping.

A connection kept idle is not pinged before use, so one the server dropped
meanwhile must cost a reconnect, not an error; a server that cannot be
reached must be an error the API answers with 503; and nothing may write
through them.
"""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from leadhub.store.db import is_unavailable
from leadhub.store.pgpoint import POINT_READERS, PointReads


@pytest.fixture
def point(db):  # type: ignore[no-untyped-def]
    if db.is_sqlite:
        pytest.skip("PostgreSQL's point reads")
    return db.point


def _backend(point: PointReads) -> int:
    return point.rows("SELECT pg_backend_pid()", ())[0][0]


def test_a_connection_dropped_while_idle_is_replaced_not_an_error(point, store_url) -> None:
    pid = _backend(point)
    assert _backend(point) == pid  # kept and used again
    with psycopg.connect(store_url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    assert point.rows("SELECT 1 + %s", (1,)) == [(2,)]
    assert _backend(point) != pid


def test_a_store_out_of_reach_is_unavailable(point) -> None:
    gone = PointReads(sa.make_url("postgresql+psycopg://postgres@127.0.0.1:1/none"))
    with pytest.raises(sa.exc.OperationalError) as raised:
        gone.rows("SELECT 1", ())
    assert is_unavailable(raised.value)


def test_nothing_is_written_through_them(point, db) -> None:
    with pytest.raises(sa.exc.DBAPIError) as raised:
        point.rows("CREATE TABLE point_reads_write (x int)", ())
    assert raised.value.orig.sqlstate == "25006"  # read-only transaction
    assert not is_unavailable(raised.value)
    assert point.rows("SELECT to_regclass('point_reads_write')", ()) == [(None,)]


def test_idle_connections_are_kept_up_to_the_readers_and_closed_on_close(db) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL's point reads")
    point = PointReads(db.engine.url)
    taken = [point._take("", ())[0] for _ in range(POINT_READERS + 2)]
    for conn in taken:
        point._give(conn)
    assert len(point._idle) == POINT_READERS
    assert sum(c.closed for c in taken) == 2
    point.close()
    assert all(c.closed for c in taken) and not point._idle
    assert point.rows("SELECT 1", ()) == [(1,)]  # still reads, without keeping
    assert not point._idle

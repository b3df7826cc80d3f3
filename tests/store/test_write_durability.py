"""Write transactions wait for the disk, except those asked not to (a worker's claims)."""

from __future__ import annotations

import sqlalchemy as sa

from leadhub import portals
from leadhub.store import Database
from leadhub.store import portals as portal_store


def _setting(conn: sa.Connection) -> str:
    if conn.dialect.name == "sqlite":
        # 1 = NORMAL (the WAL is synced at checkpoints and by later commits), 2 = FULL.
        return {1: "normal", 2: "full"}[conn.exec_driver_sql("PRAGMA synchronous").scalar_one()]
    return str(conn.exec_driver_sql("SHOW synchronous_commit").scalar_one())


def test_only_writes_asked_not_to_skip_waiting_for_the_disk(db: Database) -> None:
    durable = "full" if db.is_sqlite else "on"
    with db.write() as conn:
        assert _setting(conn) == durable
    with db.write(durable=False) as conn:
        assert _setting(conn) == ("normal" if db.is_sqlite else "off")
        portal = portals.create_portal(conn, "claimed lightly")
    # Committed like any other write, and the connection is back to waiting for the disk.
    assert db.read_call(portal_store.get_portal, portal.id) is not None
    for _ in range(3):  # whichever pooled connection comes next
        with db.write() as conn:
            assert _setting(conn) == durable


def test_a_failed_light_write_leaves_nothing_and_the_connection_durable(db: Database) -> None:
    durable = "full" if db.is_sqlite else "on"
    created: list[int] = []
    try:
        with db.write(durable=False) as conn:
            created.append(portals.create_portal(conn, "rolled back").id)
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    assert db.read_call(portal_store.get_portal, created[0]) is None
    with db.write() as conn:
        assert _setting(conn) == durable

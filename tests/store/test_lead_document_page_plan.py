"""A page's documents are read by primary key: without statistics SQLite walked
every document of the portal in the (portal_id, email) index and tested each id,
which made a ten-lead page cost more than the list query itself."""

from __future__ import annotations

import pytest

from leadhub.store import leaddocs


def test_page_documents_are_read_by_primary_key(db) -> None:
    if not db.is_sqlite:
        pytest.skip("documents are stored on SQLite only")
    with db.read() as conn:
        plan = [
            row[-1]
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + leaddocs.docs_sql(3), (1, 10, 11, 12)
            )
        ]
    assert plan == ["SEARCH lead_documents USING INTEGER PRIMARY KEY (rowid=?)"], plan


def test_get_many_returns_only_the_portals_documents(db) -> None:
    with db.write() as conn:
        leaddocs.put_many(conn, 1, [(10, "g10", b"ten", False), (11, "g11", b"eleven", False)])
        leaddocs.put_many(conn, 2, [(12, "g12", b"twelve", False)])
    with db.read() as conn:
        assert leaddocs.get_many(conn, 1, [10, 11, 12, 13]) == {10: b"ten", 11: b"eleven"}
        assert leaddocs.get_many(conn, 2, [10, 12]) == {12: b"twelve"}
        assert leaddocs.get_many(conn, 1, []) == {}

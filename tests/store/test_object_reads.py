"""Reading a page's objects by id: one primary-key lookup per id, on any size of portal."""

from __future__ import annotations

from typing import Any

import pytest

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.store import Database
from leadhub.store import objects as obj_store
from leadhub.store.objects import Change


def test_objects_by_id_are_looked_up_by_primary_key(db: Database) -> None:
    # Without statistics SQLite chose an index on portal_id: every object of the portal.
    if not db.is_sqlite:
        pytest.skip("PostgreSQL's planner has statistics; this is about SQLite's")

    def setup(conn: Any) -> tuple[int, list[int]]:
        pid = portals.create_portal(conn, "Reads").id
        ids = [obj_store.insert(conn, pid, ct.LEADS, {"hs_lead_name": f"n{i}"},
                                Change(1, "API")).id for i in range(5)]
        return pid, ids

    pid, ids = db.write_call(setup)
    plans: list[str] = []

    def read(conn: Any) -> dict[int, Any]:
        # The statement runs on the driver's own connection: trace what it runs there.
        raw = conn.connection.driver_connection
        statements: list[str] = []
        raw.set_trace_callback(statements.append)
        try:
            found = obj_store.get_many(conn, pid, ids[:3])
        finally:
            raw.set_trace_callback(None)
        for statement in statements:
            if statement.lstrip().startswith("SELECT"):
                plans.extend(r[-1] for r in raw.execute("EXPLAIN QUERY PLAN " + statement))
        return found

    found = db.read_call(read)
    assert sorted(found) == ids[:3]
    assert plans == ["SEARCH objects USING INTEGER PRIMARY KEY (rowid=?)"], plans

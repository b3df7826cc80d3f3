"""The v1 list's search is served by the trigram indexes on PostgreSQL.

The indexes are expression indexes: they serve a query only while the query
compiles to exactly the indexed expression (``props ->> 'email' ILIKE ...``).
This test fails if either side changes without the other. Whether the
planner prefers them on a big table is shown in docs/scaling.md (EXPLAIN on
a million leads), not timed here.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from leadhub import portals
from leadhub.leads import service
from leadhub.store import Database
from leadhub.store.leadlist import LeadListQuery, list_lead_ids
from leadhub.store.objects import Change


def test_search_uses_the_trigram_indexes(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("trigram indexes are a PostgreSQL feature; SQLite scans the portal")

    def setup(conn: Any) -> int:
        pid = portals.create_portal(conn, "Search").id
        for i in range(30):
            values = {"email": f"p{i}@example.com", "firstName": f"First{i}", "company": "Acme"}
            service.create(conn, pid, values, Change(1, "API"))
        return pid

    pid = db.write_call(setup)
    statements: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    with db.read() as conn:
        query = LeadListQuery(portal_id=pid, limit=20, search="p17@exam")
        event.listen(conn, "before_cursor_execute", capture)
        ids = list_lead_ids(conn, query)
        event.remove(conn, "before_cursor_execute", capture)
        assert len(ids) == 1
        # On 30 rows scanning is cheapest; forbid scans and nested loops to see which
        # index can find the matching contacts by themselves.
        for setting in ("seqscan", "indexscan", "nestloop", "mergejoin"):
            conn.exec_driver_sql(f"SET LOCAL enable_{setting} = off")
        statement, params = statements[-1]
        plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + statement, params).scalars())
    for prop in ("firstname", "lastname", "email", "company"):
        assert f"ix_objects_trgm_{prop}" in plan, plan

"""Text search is served by the trigram indexes on PostgreSQL.

The indexes are expression indexes: they serve a query only while the query
compiles to exactly the indexed expression (``props ->> 'email' ILIKE ...``).
These tests fail if either side changes without the other. Whether the
planner prefers them on a big table is shown in docs/scaling.md (EXPLAIN on
a million leads), not timed here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.crm.property_defaults import SEARCHABLE
from leadhub.leads import service
from leadhub.store import Database
from leadhub.store.crm_query import Cond, SearchQuery, search_ids
from leadhub.store.leadlist import SEARCHED_PROPS, LeadListQuery, list_lead_ids
from leadhub.store.objects import Change


@pytest.fixture(scope="module")
def pid(db: Database) -> int:
    if db.is_sqlite:
        pytest.skip("trigram indexes are a PostgreSQL feature; SQLite scans the portal")

    def setup(conn: Any) -> int:
        pid = portals.create_portal(conn, "Search").id
        for i in range(30):
            values = {"email": f"p{i}@example.com", "firstName": f"First{i}", "company": "Acme"}
            service.create(conn, pid, values, Change(1, "API"))
        return pid

    return int(db.write_call(setup))


def _plan(db: Database, run: Callable[[Any], Any]) -> str:
    """EXPLAIN of the first statement ``run`` sends, as if only the trigram indexes existed.

    On 30 rows scanning is cheapest; with scans forbidden and the other
    indexes of ``objects`` dropped (in a transaction rolled back after), the
    plan shows which trigram indexes can find the matching rows.
    """
    statements: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    with db.engine.connect() as conn:
        with conn.begin() as tx:
            event.listen(conn, "before_cursor_execute", capture)
            run(conn)
            event.remove(conn, "before_cursor_execute", capture)
            others = conn.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'objects' "
                "AND indexname NOT LIKE 'ix_objects_trgm_%%' AND indexname <> 'objects_pkey'", ()
            ).scalars().all()
            for name in others:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
            for setting in ("seqscan", "indexscan", "nestloop", "mergejoin"):
                conn.exec_driver_sql(f"SET LOCAL enable_{setting} = off")
            statement, params = statements[0]
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + statement, params).scalars())
            tx.rollback()
    return plan


def test_v1_search_uses_the_trigram_indexes(db: Database, pid: int) -> None:
    query = LeadListQuery(portal_id=pid, limit=20, search=["p17@exam"])
    assert len(db.read_call(list_lead_ids, query)) == 1
    plan = _plan(db, lambda conn: list_lead_ids(conn, query))
    for prop in SEARCHED_PROPS:
        assert f"ix_objects_trgm_{prop}" in plan, plan


def test_v3_query_uses_the_trigram_indexes(db: Database, pid: int) -> None:
    query = SearchQuery(pid, ct.CONTACTS, text="p17@exam", text_props=SEARCHABLE[ct.CONTACTS])
    assert db.read_call(search_ids, query)[1] == 1
    plan = _plan(db, lambda conn: search_ids(conn, query))
    for prop in SEARCHABLE[ct.CONTACTS]:
        assert f"ix_objects_trgm_{prop}" in plan, plan


def test_v3_contains_token_uses_the_trigram_index(db: Database, pid: int) -> None:
    cond = Cond("text", "hs_lead_name", "CONTAINS_TOKEN", ("first17",))
    query = SearchQuery(pid, ct.LEADS, groups=[[cond]])
    assert db.read_call(search_ids, query)[1] == 1
    plan = _plan(db, lambda conn: search_ids(conn, query))
    assert "ix_objects_trgm_hs_lead_name" in plan, plan

"""Releasing a unique value is one index lookup, not a walk of every value of the portal.

``release_unique`` runs for every new lead (its guid) and deletes by portal,
object type, property and object id. Served by the primary key's
three-column prefix it reads every guid of the portal while holding the write
lock; ``ix_unique_values_holder`` (migration 0010) makes it one lookup. The
test captures the very statement the store sends and asks the database how it
would run it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from leadhub import crm_types as ct
from leadhub.store import Database
from leadhub.store import uniquevalues as unique_store

PORTAL = 91_001


def _release_statement(db: Database) -> tuple[str, Any]:
    """The SQL and parameters release_unique sends, captured on their way to the driver."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("DELETE FROM UNIQUE_VALUES"):
            sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.write() as conn:
            unique_store.release_unique(conn, PORTAL, ct.LEADS, "hs_lead_guid", 7)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert len(sent) == 1, sent
    return sent[0]


def _fill(db: Database) -> None:
    rows = [
        {"portal_id": PORTAL, "object_type": ct.LEADS, "property": "hs_lead_guid",
         "value": f"guid-{i}", "object_id": i}
        for i in range(1, 201)
    ]
    with db.write() as conn:
        conn.execute(sa.text("DELETE FROM unique_values WHERE portal_id = :p"), {"p": PORTAL})
        conn.execute(
            sa.text(
                "INSERT INTO unique_values (portal_id, object_type, property, value, object_id) "
                "VALUES (:portal_id, :object_type, :property, :value, :object_id)"
            ),
            rows,
        )


def test_release_unique_looks_up_the_holder_by_index(db: Database) -> None:
    _fill(db)
    statement, parameters = _release_statement(db)
    with db.write() as conn:
        if db.is_sqlite:
            plan = " | ".join(
                str(row[-1])
                for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            assert "ix_unique_values_holder" in plan, plan
            assert "object_id=?" in plan, plan
        else:
            # Tiny tables are read sequentially whatever the indexes; ask for the index path.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " | ".join(
                row[0] for row in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            )
            assert "ix_unique_values_holder" in plan, plan
            assert "object_id" in plan.split("Index Cond:", 1)[-1], plan
    with db.read() as conn:  # and the statement still does what it says
        left = conn.execute(
            sa.text("SELECT count(*) FROM unique_values WHERE portal_id = :p"), {"p": PORTAL}
        ).scalar_one()
    assert left == 199

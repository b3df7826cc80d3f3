"""A claim reads the oldest due rows from the index of claimable rows, not every pending row.

With tens of thousands of posts queued, reading every pending row through the
status index and sorting them for each batch of ten was most of the worker's
time on SQLite. The test fills a queue, captures the statement a claim sends
and asks SQLite how it would run it (PostgreSQL plans by its statistics).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from leadhub import portals
from leadhub.ingest import service
from leadhub.store import Database
from leadhub.store import callbackqueue as callback_store
from leadhub.store import queue as queue_store
from leadhub.store.schema import callbacks, submissions


def _statements(db: Database, run: Any, head: str) -> list[tuple[str, Any]]:
    """The statements starting with ``head`` that ``run(conn)`` sends, in a write."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(head):
            sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.write() as conn:
            run(conn)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    return sent


def _captured_select(db: Database, claim: Any) -> tuple[str, Any]:
    sent = _statements(db, claim, "SELECT ID FROM")
    assert len(sent) == 1, sent
    return sent[0]


def _plan(db: Database, statement: str, parameters: Any) -> str:
    with db.read() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return " ".join(str(r[3]) for r in rows)


def test_claims_read_the_claim_index_in_order(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("a plan without statistics is SQLite's")

    def fill(conn):  # type: ignore[no-untyped-def]
        portal = portals.create_portal(conn, "queue plan")
        form = service.create_form(conn, portal.id, "plan")
        queue_store.enqueue(conn, [
            {"guid": f"{n:032x}", "portal_id": portal.id, "form_id": form.id,
             "form_name": form.name, "form_guid": form.guid,
             "fields": [["Email", f"p{n}@example.com"]], "received_at": 1_000 + n}
            for n in range(300)
        ])

    db.write_call(fill)
    for table, claim in (
        (submissions, lambda conn: queue_store.claim_submissions(conn, "w", 10**13, 1, 10, 5)),
        (callbacks, lambda conn: queue_store.claim_ids(conn, callbacks, "w", 10**13, 1, 10)),
    ):
        statement, parameters = _captured_select(db, claim)
        plan = _plan(db, statement, parameters)
        assert f"USING INDEX ix_{table.name}_claim" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # read in claim order, not sorted
    ids = db.write_call(queue_store.claim_submissions, "w2", 10**13, 1, 10, 5)
    assert ids == sorted(ids) and len(ids) == 10



def test_lease_upkeep_reads_the_claim_index_not_every_row(db: Database) -> None:
    """Failing exhausted leases (before every claim), finding and freeing a gone worker's
    claims: with a condition on ``status`` alone SQLite read every row of the table,
    and a portal with a callback URL keeps a row per lead it ever stored."""
    def fill(conn):  # type: ignore[no-untyped-def]
        portal = portals.create_portal(conn, "lease plan")
        callback_store.add_callbacks(conn, portal.id, list(range(1, 41)), "http://cb.test/", 1_000)
        return portal.id

    db.write_call(fill)
    claimed = db.write_call(queue_store.claim_ids, callbacks, "old-1", 2_000, 10, 5)
    assert len(claimed) == 5
    expired = _statements(
        db, lambda conn: callback_store.claim_callbacks(conn, "w", 3_000, 10, 0, 1), "UPDATE"
    )
    # Every lease ran out on an attempt of at most one: with max_attempts=1 they fail.
    failed = db.read_call(
        lambda conn: conn.execute(
            sa.select(sa.func.count()).where(callbacks.c.status == "failed")
        ).scalar_one()
    )
    assert failed == 5
    db.write_call(queue_store.claim_ids, callbacks, "old-2", 4_000, 10**6, 3)
    holders: list[str] = []
    sent = _statements(
        db,
        lambda conn: holders.extend(queue_store.claim_holders(conn, callbacks, "old-")),
        "SELECT",
    )
    assert holders == ["old-2"]
    released = _statements(
        db,
        lambda conn: queue_store.release_claims(conn, callbacks, "old-2", 5_000),
        "UPDATE",
    )
    due = db.write_call(queue_store.claim_ids, callbacks, "new", 5_000, 10, 50)
    assert len(due) == 35  # the three freed and the 32 never claimed, not the failed five
    if not db.is_sqlite:
        return  # a plan without statistics is SQLite's
    for statement, parameters in expired[:1] + sent + released:
        plan = _plan(db, statement, parameters)
        assert "USING INDEX ix_callbacks_claim" in plan, (statement, plan)

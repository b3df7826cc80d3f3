"""Bulk writers keep PostgreSQL's planner statistics current (store/stats.py).

The PostgreSQL servers these tests run on have autovacuum off, as some
production servers do: a table filled in one go keeps the statistics of when
it was empty until something analyzes it. Without them, the lookup of which
emails are already taken walked every unique value of the portal for each
batch of an import. Each test fills tables on a store of its own module and
looks at what PostgreSQL itself reports: the tables' pages at their last
analysis, and the plan it chooses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.importcmd import run_import
from leadhub.store import Database, bulk, stats

ROWS = 6_000


def _needs_postgres(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite plans without gathered statistics")


def _analyzed_pages(db: Database, table: str) -> int:
    with db.read() as conn:
        return int(conn.execute(
            sa.text("SELECT relpages FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
        ).scalar_one())


def _fill_unique_values(db: Database, portal_id: int) -> None:
    with db.write() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO unique_values (portal_id, object_type, property, value, object_id) "
                "VALUES (:p, :t, 'email', :v, :o)"
            ),
            [{"p": portal_id, "t": ct.CONTACTS, "v": f"person{n}@example.com", "o": n}
             for n in range(1, ROWS + 1)],
        )


def test_sqlite_gathers_nothing(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite's case")
    assert not db.statistics.enabled
    assert db.statistics.after_writes(now=True) == []


def test_a_grown_table_is_analyzed_once_and_then_planned_by_its_contents(db: Database) -> None:
    _needs_postgres(db)
    db.statistics.after_writes(now=True)  # whatever the migrations left
    portal_id = db.write_call(portals.create_portal, "statistics").id
    _fill_unique_values(db, portal_id)
    with db.read() as conn:
        assert "public.unique_values" in stats.stale_tables(conn)
    assert _analyzed_pages(db, "unique_values") == 0

    analyzed = db.statistics.after_writes(now=True)

    assert any(name.endswith("unique_values") for name in analyzed), analyzed
    assert _analyzed_pages(db, "unique_values") > stats.LEAST_PAGES
    with db.read() as conn:
        assert stats.stale_tables(conn) == []
    # The lookup of taken emails now finds them by the whole primary key.
    plan = _plan_of_holders(db, portal_id)
    assert "unique_values_pkey" in plan, plan
    assert db.statistics.after_writes(now=True) == []  # nothing grew since


def _plan_of_holders(db: Database, portal_id: int) -> str:
    """PostgreSQL's plan of the statement ``bulk.holders`` sends, captured on its way to
    the driver."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    with db.read() as conn:
        sa.event.listen(conn, "before_cursor_execute", capture)
        found = bulk.holders(conn, portal_id, ct.CONTACTS, "email",
                             ["person7@example.com", "nobody@example.com"])
        sa.event.remove(conn, "before_cursor_execute", capture)
        assert found == {"person7@example.com": 7}
        assert len(sent) == 1, sent
        statement, parameters = sent[0]
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    return "\n".join(r[0] for r in rows)


def test_looks_are_at_most_one_per_interval(db: Database) -> None:
    _needs_postgres(db)
    clock = [100.0]
    watcher = stats.Statistics(db.engine, clock=lambda: clock[0])
    watcher.after_writes(now=True)
    portal_id = db.write_call(portals.create_portal, "statistics interval").id
    with db.write() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO unique_values (portal_id, object_type, property, value, object_id) "
                "SELECT :p, :t, 'email', 'more' || n || '@example.com', n "
                "FROM generate_series(1, :rows) AS n"
            ),
            {"p": portal_id, "t": ct.CONTACTS, "rows": 4 * ROWS},
        )
    clock[0] += stats.INTERVAL_S / 2
    assert watcher.after_writes() == []  # too soon after the last look
    clock[0] += stats.INTERVAL_S
    assert any(name.endswith("unique_values") for name in watcher.after_writes())


def test_an_import_leaves_its_tables_analyzed(db: Database, tmp_path: Path) -> None:
    _needs_postgres(db)
    portal_id = db.write_call(portals.create_portal, "statistics import").id
    path = tmp_path / "leads.csv"
    lines = ["firstName,lastName,email"]
    lines += [f"Ann,Number{n},ann{n}@import.example.com" for n in range(2_000)]
    path.write_text("\n".join(lines) + "\n")

    result = run_import(db, portal_id, path, progress=False, batch_rows=500)

    assert result.created == 2_000
    for table in ("objects", "unique_values", "associations", "property_history"):
        assert _analyzed_pages(db, table) > 0, table
    with db.read() as conn:
        assert stats.stale_tables(conn) == []


def test_the_form_worker_analyzes_what_its_batches_grow(db: Database) -> None:
    _needs_postgres(db)
    from leadhub.ingest import service
    from leadhub.ingest.worker import Worker, WorkerConfig
    from leadhub.store import queue as queue_store
    from leadhub.util import new_guid

    def make(conn):  # type: ignore[no-untyped-def]
        portal = portals.create_portal(conn, "statistics worker")
        return portal.id, service.create_form(conn, portal.id, "signup")

    portal_id, form = db.write_call(make)
    db.statistics.after_writes(now=True)
    db.write_call(queue_store.enqueue, [
        {"guid": new_guid(), "portal_id": portal_id, "form_id": form.id,
         "form_name": form.name, "form_guid": form.guid,
         "fields": [["Email", f"w{n}@worker.example.com"], ["FirstName", "Wes"]],
         "received_at": 1_000 + n}
        for n in range(1_500)
    ])
    worker = Worker(db.url, "http://127.0.0.1:9", WorkerConfig(callbacks=False))
    ticks = iter(range(0, 10**6, 2))  # every batch's look comes an interval after the last
    watcher = stats.Statistics(worker.db.engine, clock=lambda: next(ticks) * stats.INTERVAL_S)
    analyzed: list[str] = []
    worker.db.statistics = watcher
    real = watcher.after_writes
    watcher.after_writes = lambda **kw: analyzed.extend(real(**kw)) or []  # type: ignore[method-assign]
    try:
        while worker.run_once():
            pass
    finally:
        worker.db.dispose()
    assert "public.submissions" in analyzed, analyzed
    with db.read() as conn:
        assert stats.stale_tables(conn) == []

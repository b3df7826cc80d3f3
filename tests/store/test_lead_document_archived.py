"""Stored documents carry their lead's deleted flag (migration 0013), so a list of one
guid (hubspot3's get_lead) is one indexed lookup of the document, without the lead's row."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command

from leadhub.store import Database, leaddocs
from leadhub.store.migrate import _config


def test_a_live_documents_read_is_one_index_lookup(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("documents are stored on SQLite only")
    with db.read() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + leaddocs.LIVE_BY_GUID, (1, "g"))]
    assert plan == [
        "SEARCH lead_documents USING INDEX ix_lead_documents_guid (portal_id=? AND guid=?)"
    ], plan


def test_the_migration_drops_the_documents_of_deleted_leads(tmp_path: Path) -> None:
    """Documents stored before say "not deleted": those of deleted leads must go."""
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        cfg = _config(db)
        command.upgrade(cfg, "0012_submission_conflicts")
        with db.engine.begin() as conn:
            for lead_id, archived in ((1, 0), (2, 1)):
                conn.exec_driver_sql(
                    "INSERT INTO objects (id, portal_id, object_type, props, created_at, "
                    "updated_at, archived) VALUES (?, 7, '0-136', '{}', 1, 1, ?)",
                    (lead_id, archived),
                )
                conn.exec_driver_sql(
                    "INSERT INTO lead_documents (lead_id, portal_id, guid, doc) "
                    "VALUES (?, 7, ?, x'00')", (lead_id, f"g{lead_id}"),
                )
        command.upgrade(cfg, "head")
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT lead_id, archived FROM lead_documents ORDER BY lead_id").fetchall()
            live = conn.exec_driver_sql(leaddocs.LIVE_BY_GUID, (7, "g1")).fetchall()
        assert [tuple(r) for r in rows] == [(1, 0)]
        assert [bytes(r[0]) for r in live] == [b"\x00"]
    finally:
        db.dispose()

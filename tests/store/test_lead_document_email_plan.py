"""Storing a document's email must be lookups only: a plan that walks every contact's
email or every document of the portal made storing documents take seconds on 100k leads."""

from __future__ import annotations

import pytest

from leadhub.store import leaddocs


def test_setting_document_emails_reads_by_keys_only(db) -> None:
    if not db.is_sqlite:
        pytest.skip("documents are stored on SQLite only")
    _, sql = leaddocs.replace_sql(3)
    with db.read() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, (1, 2, 3))]
    assert plan, "no plan"
    assert not [step for step in plan if step.startswith("SCAN")], plan
    assert "SEARCH lead_documents USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    values = [step for step in plan if "SEARCH u " in step]
    assert values and all("object_id=?" in step for step in values), plan

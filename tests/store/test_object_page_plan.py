"""The rows of a v3 list page the point-read lane reads (``crm_query.LIVE_PAGE_ROWS``)
come from the portal's and type's id index, from the cursor on, in its order: no walk
of the portal and no sort."""

from __future__ import annotations

import pytest

from leadhub.store import crm_query


def test_live_page_rows_walk_the_id_index_from_the_cursor(db) -> None:
    if not db.is_sqlite:
        pytest.skip("the lane reads a SQLite file")
    with db.read() as conn:
        plan = [
            row[-1] for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + crm_query.LIVE_PAGE_ROWS, (1, "0-1", 10, 11))
        ]
    assert plan == [
        "SEARCH objects USING INDEX ix_objects_portal_type_id "
        "(portal_id=? AND object_type=? AND archived=? AND id>?)"
    ], plan

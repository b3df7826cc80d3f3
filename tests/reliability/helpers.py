"""Helpers for the reliability suite: leads made in the store, and whole-portal snapshots."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from leadhub.leads import service
from leadhub.store import Database
from leadhub.store.objects import Change
from leadhub.store.schema import metadata
from leadhub.util import now_ms


def make_lead(db: Database, portal_id: int, **fields: Any) -> str:
    """Create a v1 lead (and its contact) straight in the store; returns its guid."""
    values = {"firstName": "Ada", "lastName": "Lovelace", **fields}
    view = db.write_call(service.create, portal_id, values, Change(now_ms(), "API", "test"))
    return view.guid


# Tables that only hold copies of other rows (a read may fill them).
CACHES = frozenset({"lead_documents"})


def snapshot(db: Database, portal_id: int | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (of one portal, when given), sorted: equal means unchanged."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.read() as conn:
        for table in metadata.sorted_tables:
            if table.name in CACHES:
                continue
            query = sa.select(table)
            if portal_id is not None:
                key = "id" if table.name == "portals" else "portal_id"
                if key not in table.c:
                    continue
                query = query.where(table.c[key] == portal_id)
            rows = [tuple(repr(v) for v in r) for r in conn.execute(query)]
            out[table.name] = sorted(rows)
    return out

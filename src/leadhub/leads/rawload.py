"""``service.load`` and ``service.get`` from prebuilt SQL: the same views.

A lead's first read without a stored document, and the write that stores
documents, read the lead's rows through store/leadrows.py instead of the
engine's statements (about 70 µs each for one lead, most of it building
and processing them) and make the very views ``service.load`` makes
(tests compare both on leads with and without contacts, events, logs and
deletion). On PostgreSQL a read by guid or by email, and a list page, read the rows of
a lead without a stored document in the statement that reads the documents
(store/leaddocs.py; ``pg_docs_view``): one statement, no transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.leads import fields as F
from leadhub.leads import service
from leadhub.leads.service import LeadView
from leadhub.store import leaddocs, leadrows
from leadhub.store.leadrows import Rows
from leadhub.store.uniquevalues import FIND_UNIQUE

# Statements ``get`` runs: the guid's lead, then ``load``'s.
STATEMENTS = 1 + leadrows.STATEMENTS


def load(rows: Rows, portal_id: int, lead_ids: Sequence[int]) -> list[LeadView]:
    """``service.load(conn, portal_id, lead_ids)`` (with events), read through ``rows``."""
    leads, events, logs = leadrows.read(rows, portal_id, lead_ids)
    views = []
    for lead_id in lead_ids:
        pair = leads.get(lead_id)
        if pair is not None:
            views.append(LeadView(
                lead=pair[0], contact=pair[1],
                events=events.get(lead_id, []), logs=logs.get(lead_id, []),
            ))
    return views


def loader(
    conn: Connection, portal_id: int, lead_ids: Sequence[int], *, with_events: bool = True
) -> list[LeadView]:
    """``service.load``, by this module's SQL when it comes with events (a ``service.Loader``
    for the ordinary face's finds and lists)."""
    if not with_events:
        return service.load(conn, portal_id, list(lead_ids), with_events=False)
    return load(leadrows.driver_rows(conn), portal_id, lead_ids)


def get(rows: Rows, portal_id: int, guid: str) -> LeadView | None:
    """``service.get`` (deleted leads too), read through ``rows``; None if there is none."""
    key = (portal_id, ct.LEADS, F.GUID_PROP, guid.strip().lower())
    found = rows(FIND_UNIQUE, key)
    views = load(rows, portal_id, [found[0][0]]) if found else []
    return views[0] if views else None


def pg_docs_view(row: tuple[Any, ...]) -> LeadView | None:
    """The view of the lead a PostgreSQL document read (``leaddocs.pg_docs_by_guids``,
    ``pg_docs_by_emails``) read the rows of with its row, or None where it read none."""
    found = leadrows.pg_lead_row(row[leaddocs.PG_ROWS_AT])
    return None if found is None else _view(found)


def _view(found: leadrows.LeadRow) -> LeadView:
    lead, contact, events, logs = found
    return LeadView(lead=lead, contact=contact, events=events, logs=logs)


__all__ = [
    "STATEMENTS", "get", "load", "loader", "pg_docs_view",
]

"""Small factories that create v1 leads through the service layer, as a form post would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from leadhub.leads import service
from leadhub.store import Database
from leadhub.store.events import ConversionEvent
from leadhub.store.objects import Change
from leadhub.store.schema import lead_documents
from leadhub.util import new_guid

_counter = itertools.count(1)


@dataclass
class MadeLead:
    """What a test needs to know about a lead it made."""

    guid: str
    lead_id: int
    event_guids: list[str]


def make_lead(
    db: Database,
    portal_id: int,
    *,
    inserted_at: int = 1_600_000_000_000,
    conversions: tuple[int, ...] = (),
    **values: Any,
) -> MadeLead:
    """Create a lead (and its contact) with v1 field ``values`` and conversions at these times."""
    n = next(_counter)
    values.setdefault("firstName", f"First{n}")
    values.setdefault("lastName", f"Last{n}")
    values.setdefault("email", f"person{n}-{new_guid()[:8]}@example.com")

    def make(conn):  # type: ignore[no-untyped-def]
        change = Change(inserted_at, "IMPORT", "tests")
        view = service.create(conn, portal_id, values, change)
        guids = []
        for at in conversions:
            event = ConversionEvent(
                guid=new_guid(),
                lead_id=0,
                convert_date=at,
                form_guid="fcbd0c1834a14534adfc1f0197801048",
                form_id=25349,
                form_name="Contact Us",
                page_name="Landing Pages",
                page_type="Form",
                page_url="http://example.com/contact",
                fields=[
                    {"id": 1, "fieldName": "Email", "fieldValue": values.get("email", ""),
                     "fieldLabel": "Email"},
                ],
            )
            service.add_conversion_event(conn, view.lead, event, Change(at, "FORM", "tests"))
            guids.append(event.guid)
        return MadeLead(view.guid, view.lead.id, guids)

    return db.write_call(make)


def make_leads(db: Database, portal_id: int, count: int, **values: Any) -> list[str]:
    """Create ``count`` plain leads in one transaction; their guids, oldest first."""

    def make(conn):  # type: ignore[no-untyped-def]
        guids = []
        for i in range(count):
            n = next(_counter)
            fields = {"firstName": f"Bulk{n}", "email": f"bulk{n}-{new_guid()[:8]}@example.com"}
            view = service.create(
                conn, portal_id, {**fields, **values}, Change(1_500_000_000_000 + i, "IMPORT")
            )
            guids.append(view.guid)
        return guids

    return db.write_call(make)


def forget_documents(db: Database, portal_id: int) -> None:
    """Drop the portal's stored v1 documents. Every write stores its leads' documents
    (SQLite); a lead changed by another program, or read only from its rows, has none.
    On PostgreSQL a document row is never deleted, but emptied with its version bumped,
    as a change does (migration 0014)."""
    mine = lead_documents.c.portal_id == portal_id
    with db.write() as conn:
        if db.is_sqlite:
            conn.execute(sa.delete(lead_documents).where(mine))
        else:
            conn.execute(sa.text(
                "UPDATE lead_documents SET doc = NULL, version = version + 1 "
                "WHERE portal_id = :portal"), {"portal": portal_id})

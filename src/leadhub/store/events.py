"""Repository of v1 conversion events and lead logs (customer status, delete)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.store.schema import conversion_events, lead_logs
from leadhub.store.sql import insert_or_ignore, unindexed


@dataclass
class ConversionEvent:
    guid: str
    lead_id: int
    convert_date: int
    form_guid: str
    form_id: int
    form_name: str
    page_name: str = ""
    page_type: str = ""
    page_url: str = ""
    # [{"id": int, "fieldName": str, "fieldValue": str, "fieldLabel": str}]
    fields: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class LeadLog:
    id: int
    lead_id: int
    kind: str
    inserted_at: int
    previous_state: bool


CUSTOMER = "customer"
DELETE = "delete"


def _event_row(portal_id: int, event: ConversionEvent) -> dict[str, Any]:
    return {
        "guid": event.guid, "portal_id": portal_id, "lead_id": event.lead_id,
        "convert_date": event.convert_date, "form_guid": event.form_guid,
        "form_id": event.form_id, "form_name": event.form_name,
        "page_name": event.page_name, "page_type": event.page_type,
        "page_url": event.page_url, "fields": event.fields,
    }


def add_event(conn: Connection, portal_id: int, event: ConversionEvent) -> bool:
    """Store a conversion event; False if one with this guid exists already.

    Race-safe: two workers processing one submission at once store one event.
    """
    return insert_or_ignore(conn, conversion_events, **_event_row(portal_id, event))


def add_new_events(conn: Connection, portal_id: int, events: list[ConversionEvent]) -> None:
    """Store conversion events none of which is stored yet (see ``stored_guids``)."""
    if events:
        conn.execute(conversion_events.insert(), [_event_row(portal_id, e) for e in events])


# Which of some conversion events are stored: by primary key (guid). SQLite's
# planner, without statistics, would rather walk the portal's events in the
# ``(portal_id, lead_id, ...)`` index for a list of ten, so the portal is
# tested, not searched. Built once (the form worker asks for every batch).
STORED_GUIDS = sa.select(conversion_events.c.guid).where(
    unindexed(conversion_events.c.portal_id) == sa.bindparam("portal_id"),
    conversion_events.c.guid.in_(sa.bindparam("guids", expanding=True)),
)


def stored_guids(conn: Connection, portal_id: int, guids: list[str]) -> set[str]:
    """Those of these conversion event guids that are stored in the portal."""
    return {r.guid for r in conn.execute(STORED_GUIDS, {"portal_id": portal_id, "guids": guids})}


def _event(r: Any) -> ConversionEvent:
    return ConversionEvent(
        guid=r.guid,
        lead_id=r.lead_id,
        convert_date=r.convert_date,
        form_guid=r.form_guid,
        form_id=r.form_id,
        form_name=r.form_name,
        page_name=r.page_name,
        page_type=r.page_type,
        page_url=r.page_url,
        fields=list(r.fields),
    )


def _of_leads(table: sa.Table, *order: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """A table's rows of some leads of a portal, in order; built once (building it per
    call cost more than running it)."""
    return (
        sa.select(table)
        .where(
            table.c.portal_id == sa.bindparam("portal_id"),
            table.c.lead_id.in_(sa.bindparam("lead_ids", expanding=True)),
        )
        .order_by(*order)
    )


_EVENTS_FOR_LEADS = _of_leads(
    conversion_events, conversion_events.c.convert_date, conversion_events.c.guid)
_LOGS_FOR_LEADS = _of_leads(lead_logs, lead_logs.c.inserted_at, lead_logs.c.id)


def events_for_leads(
    conn: Connection, portal_id: int, lead_ids: list[int]
) -> dict[int, list[ConversionEvent]]:
    """Each lead's conversion events, oldest first."""
    out: dict[int, list[ConversionEvent]] = defaultdict(list)
    if not lead_ids:
        return out
    rows = conn.execute(_EVENTS_FOR_LEADS, {"portal_id": portal_id, "lead_ids": list(lead_ids)})
    for r in rows:
        out[r.lead_id].append(_event(r))
    return out


def lead_for_event(conn: Connection, portal_id: int, guid: str) -> int | None:
    """The lead a conversion event belongs to, or None."""
    return conn.execute(
        sa.select(conversion_events.c.lead_id).where(
            conversion_events.c.portal_id == portal_id, conversion_events.c.guid == guid
        )
    ).scalar_one_or_none()


def add_log(
    conn: Connection,
    portal_id: int,
    lead_id: int,
    kind: str,
    at: int,
    previous_state: bool,
    *,
    log_id: int | None = None,
) -> None:
    """Append a customer-status or delete log entry to a lead."""
    explicit = {"id": log_id} if log_id is not None else {}
    conn.execute(
        lead_logs.insert().values(
            **explicit,
            portal_id=portal_id,
            lead_id=lead_id,
            kind=kind,
            inserted_at=at,
            previous_state=previous_state,
        )
    )


def logs_for_leads(
    conn: Connection, portal_id: int, lead_ids: list[int]
) -> dict[int, list[LeadLog]]:
    """Each lead's log entries, oldest first."""
    out: dict[int, list[LeadLog]] = defaultdict(list)
    if not lead_ids:
        return out
    rows = conn.execute(_LOGS_FOR_LEADS, {"portal_id": portal_id, "lead_ids": list(lead_ids)})
    for r in rows:
        out[r.lead_id].append(LeadLog(r.id, r.lead_id, r.kind, r.inserted_at, r.previous_state))
    return out

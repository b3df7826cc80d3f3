"""``service.load`` on SQLite with prebuilt SQL: the same views, without the engine.

A lead's v1 document is made of five reads: the lead's row, its primary
contact association, the contact's row, its conversion events and its log
entries. Through SQLAlchemy those cost about 70 µs each for one lead, most
of it building and processing the statements, which made a lead's first
read (and the write that stores its document) several times dearer than
the read of a stored document. Here the same reads are SQL text made once
per number of ids, run by whatever runs SQL on the caller's connection (the
point-read connection on the event loop, or a transaction's driver
connection), and their rows are turned into the very objects
``service.load`` returns: the same columns, orders, JSON decoder and
booleans (tests compare both on leads with and without contacts, events,
logs and deletion).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import orjson

from leadhub import crm_types as ct
from leadhub.leads import fields as F
from leadhub.leads.service import LeadView
from leadhub.store.events import ConversionEvent, LeadLog
from leadhub.store.objects import ObjectRow

# Statements ``load`` runs.
STATEMENTS = 5
# Runs one statement with positional parameters and returns its rows.
Rows = Callable[[str, Sequence[Any]], Sequence[Sequence[Any]]]

# The lead behind a v1 guid (objects.find_unique for the guid property).
LEAD_BY_GUID = (
    "SELECT object_id FROM unique_values WHERE portal_id = ? AND object_type = "
    f"'{ct.LEADS}' AND property = '{F.GUID_PROP}' AND value = ?"
)


def _marks(count: int) -> str:
    return ",".join("?" * count)


@lru_cache(maxsize=64)
def _objects_sql(count: int) -> str:
    # objects.get_many: by primary key (``+portal_id`` keeps the planner off the
    # portal's index).
    return (
        "SELECT id, portal_id, object_type, props, created_at, updated_at, archived, "
        f"archived_at FROM objects WHERE +portal_id = ? AND id IN ({_marks(count)})"
    )


@lru_cache(maxsize=64)
def _lead_sql(count: int) -> tuple[str, str, str]:
    """Primary contact links, conversion events and log entries of ``count`` leads."""
    marks = _marks(count)
    links = (
        "SELECT from_id, to_id FROM associations WHERE portal_id = ? "
        f"AND from_id IN ({marks}) AND type_id = {ct.LEAD_TO_PRIMARY_CONTACT} "
        "ORDER BY from_id, to_id, type_id"
    )
    events = (
        "SELECT guid, lead_id, convert_date, form_guid, form_id, form_name, page_name, "
        f"page_type, page_url, fields FROM conversion_events WHERE portal_id = ? "
        f"AND lead_id IN ({marks}) ORDER BY convert_date, guid"
    )
    logs = (
        "SELECT id, lead_id, kind, inserted_at, previous_state FROM lead_logs "
        f"WHERE portal_id = ? AND lead_id IN ({marks}) ORDER BY inserted_at, id"
    )
    return links, events, logs


def _objects(rows: Rows, portal_id: int, ids: Sequence[int]) -> dict[int, ObjectRow]:
    if not ids:
        return {}
    loads = orjson.loads
    return {
        r[0]: ObjectRow(
            id=r[0], portal_id=r[1], object_type=r[2], props=loads(r[3]), created_at=r[4],
            updated_at=r[5], archived=bool(r[6]), archived_at=r[7],
        )
        for r in rows(_objects_sql(len(ids)), (portal_id, *ids))
    }


def load(rows: Rows, portal_id: int, lead_ids: Sequence[int]) -> list[LeadView]:
    """``service.load(conn, portal_id, lead_ids)`` (with events), read through ``rows``.

    The reads must see one snapshot: run them inside one transaction.
    """
    if not lead_ids:
        return []
    ids = tuple(lead_ids)
    links_sql, events_sql, logs_sql = _lead_sql(len(ids))
    params = (portal_id, *ids)
    leads = _objects(rows, portal_id, ids)
    contact_of: dict[int, int] = {}
    for from_id, to_id in rows(links_sql, params):
        contact_of.setdefault(from_id, to_id)
    contacts = _objects(rows, portal_id, list(dict.fromkeys(contact_of.values())))
    loads = orjson.loads
    events: dict[int, list[ConversionEvent]] = {}
    for r in rows(events_sql, params):
        events.setdefault(r[1], []).append(ConversionEvent(
            guid=r[0], lead_id=r[1], convert_date=r[2], form_guid=r[3], form_id=r[4],
            form_name=r[5], page_name=r[6], page_type=r[7], page_url=r[8],
            fields=list(loads(r[9])),
        ))
    logs: dict[int, list[LeadLog]] = {}
    for r in rows(logs_sql, params):
        logs.setdefault(r[1], []).append(LeadLog(r[0], r[1], r[2], r[3], bool(r[4])))
    views = []
    for lead_id in ids:
        row = leads.get(lead_id)
        if row is None or row.object_type != ct.LEADS:
            continue
        contact_id = contact_of.get(lead_id)
        views.append(LeadView(
            lead=row,
            contact=contacts.get(contact_id) if contact_id is not None else None,
            events=events.get(lead_id, []),
            logs=logs.get(lead_id, []),
        ))
    return views


def driver_rows(conn: Any) -> Rows:
    """``Rows`` inside a SQLAlchemy connection's transaction on SQLite: its sqlite3
    connection itself (the engine's statement handling cost as much as the reads)."""
    raw = conn.connection.driver_connection
    return lambda sql, params: raw.execute(sql, params).fetchall()


__all__ = ["LEAD_BY_GUID", "STATEMENTS", "Rows", "driver_rows", "load"]

"""``service.load`` on SQLite with prebuilt SQL: the same views, without the engine.

A lead's v1 document is made of five reads: the lead's row, its primary
contact association, the contact's row, its conversion events and its log
entries. Through SQLAlchemy those cost about 70 µs each for one lead, most
of it building and processing the statements, which made a lead's first
read (and the write that stores its document) several times dearer than
the read of a stored document. Here the same reads are three statements
(the lead's and its contact's rows in one), SQL text made once per number
of ids, run by whatever runs SQL on the caller's connection (the
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
STATEMENTS = 3
# Runs one statement with positional parameters and returns its rows.
Rows = Callable[[str, Sequence[Any]], Sequence[Sequence[Any]]]

# The lead behind a v1 guid (objects.find_unique for the guid property).
LEAD_BY_GUID = (
    "SELECT object_id FROM unique_values WHERE portal_id = ? AND object_type = "
    f"'{ct.LEADS}' AND property = '{F.GUID_PROP}' AND value = ?"
)


def _marks(count: int) -> str:
    return ",".join("?" * count)


_COLUMNS = ("id", "portal_id", "object_type", "props", "created_at", "updated_at", "archived",
            "archived_at")


@lru_cache(maxsize=64)
def _lead_sql(count: int) -> tuple[str, str, str]:
    """``count`` leads' rows with their primary contacts' rows, conversion events and log
    entries.

    A lead's contact is the lowest contact id among its primary-contact links
    (``service.load`` takes the first of them in (to_id, type_id) order), read
    by primary key in the same portal; a link to a missing object leaves the
    contact's columns NULL.
    """
    marks = ",".join("?" * count)
    lead_cols = ", ".join(f"l.{c}" for c in _COLUMNS)
    contact_cols = ", ".join(f"c.{c}" for c in _COLUMNS)
    rows = (
        f"SELECT {lead_cols}, {contact_cols} FROM objects l "
        "LEFT JOIN objects c ON c.id = (SELECT a.to_id FROM associations a "
        f"WHERE a.portal_id = l.portal_id AND a.from_id = l.id AND a.type_id = "
        f"{ct.LEAD_TO_PRIMARY_CONTACT} ORDER BY a.to_id LIMIT 1) AND c.portal_id = l.portal_id "
        f"WHERE +l.portal_id = ? AND l.id IN ({marks})"
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
    return rows, events, logs


def _object(r: Sequence[Any], at: int) -> ObjectRow:
    return ObjectRow(
        id=r[at], portal_id=r[at + 1], object_type=r[at + 2], props=orjson.loads(r[at + 3]),
        created_at=r[at + 4], updated_at=r[at + 5], archived=bool(r[at + 6]),
        archived_at=r[at + 7],
    )


def load(rows: Rows, portal_id: int, lead_ids: Sequence[int]) -> list[LeadView]:
    """``service.load(conn, portal_id, lead_ids)`` (with events), read through ``rows``.

    The reads must see one snapshot: run them inside one transaction.
    """
    if not lead_ids:
        return []
    ids = tuple(lead_ids)
    rows_sql, events_sql, logs_sql = _lead_sql(len(set(ids)))
    params = (portal_id, *dict.fromkeys(ids))
    found: dict[int, tuple[ObjectRow, ObjectRow | None]] = {}
    width = len(_COLUMNS)
    for r in rows(rows_sql, params):
        if r[2] != ct.LEADS:
            continue
        found[r[0]] = (_object(r, 0), _object(r, width) if r[width] is not None else None)
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
        pair = found.get(lead_id)
        if pair is None:
            continue
        views.append(LeadView(
            lead=pair[0], contact=pair[1],
            events=events.get(lead_id, []), logs=logs.get(lead_id, []),
        ))
    return views


def driver_rows(conn: Any) -> Rows:
    """``Rows`` inside a SQLAlchemy connection's transaction on SQLite: its sqlite3
    connection itself (the engine's statement handling cost as much as the reads)."""
    raw = conn.connection.driver_connection
    return lambda sql, params: raw.execute(sql, params).fetchall()


__all__ = ["LEAD_BY_GUID", "STATEMENTS", "Rows", "driver_rows", "load"]

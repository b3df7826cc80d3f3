"""The rows a v1 lead is made of, read with prebuilt SQL.

A lead's v1 view (leads/service.py ``load``) is made of the lead's row, its
primary contact's row, its conversion events and its log entries. Through
SQLAlchemy's statements those reads cost about 70 µs each for one lead,
most of it building and processing the statements. Here they are three
statements (the lead's and its contact's rows in one), SQL text made once
per number of ids, run by whatever runs SQL on the caller's connection
(``Rows``: the point-read connection on the event loop, or a transaction's
own sqlite3 connection, ``driver_rows``), and their rows become the same
objects the repository functions return (objects.get_many,
associations.targets, events.events_for_leads / logs_for_leads): the same
columns, orders, JSON decoder and booleans. The reads must see one
snapshot: run them inside one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from leadhub import crm_types as ct
from leadhub.store.events import ConversionEvent, LeadLog
from leadhub.store.objects import COLUMNS, ObjectRow, object_row
from leadhub.store.sql import driver_query, json_value

# Runs one statement with positional parameters and returns its rows.
Rows = Callable[[str, Sequence[Any]], Sequence[Sequence[Any]]]

# Statements ``read`` runs.
STATEMENTS = 3


@lru_cache(maxsize=128)
def find_unique_many(count: int) -> str:
    """uniquevalues' ``FIND_UNIQUE`` for ``count`` values: parameters portal id, object
    type, property, then the values."""
    marks = ",".join("?" * count)
    return (
        "SELECT object_id FROM unique_values "
        f"WHERE portal_id = ? AND object_type = ? AND property = ? AND value IN ({marks})"
    )


@lru_cache(maxsize=64)
def _sql(count: int) -> tuple[str, str, str]:
    """``count`` leads' rows with their primary contacts' rows, conversion events and log
    entries.

    A lead's contact is the lowest contact id among its primary-contact links
    (``service.load`` takes the first of them in (to_id, type_id) order), read
    by primary key in the same portal; a link to a missing object leaves the
    contact's columns NULL.
    """
    marks = ",".join("?" * count)
    lead_cols = ", ".join(f"l.{c}" for c in COLUMNS)
    contact_cols = ", ".join(f"c.{c}" for c in COLUMNS)
    objects = (
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
    return objects, events, logs


LeadRows = tuple[
    dict[int, tuple[ObjectRow, ObjectRow | None]],
    dict[int, list[ConversionEvent]],
    dict[int, list[LeadLog]],
]


def read(rows: Rows, portal_id: int, lead_ids: Sequence[int]) -> LeadRows:
    """Of these ids, the leads' rows with their primary contacts' (None if none), and
    each lead's conversion events and log entries, oldest first, keyed by lead id.

    Ids of other objects, other portals or nothing at all are left out.
    """
    if not lead_ids:
        return {}, {}, {}
    unique = tuple(dict.fromkeys(lead_ids))
    objects_sql, events_sql, logs_sql = _sql(len(unique))
    params = (portal_id, *unique)
    width = len(COLUMNS)
    leads = {
        r[0]: (object_row(r, 0), object_row(r, width) if r[width] is not None else None)
        for r in rows(objects_sql, params)
        if r[2] == ct.LEADS
    }
    events: dict[int, list[ConversionEvent]] = {}
    for r in rows(events_sql, params):
        events.setdefault(r[1], []).append(ConversionEvent(
            guid=r[0], lead_id=r[1], convert_date=r[2], form_guid=r[3], form_id=r[4],
            form_name=r[5], page_name=r[6], page_type=r[7], page_url=r[8],
            fields=list(json_value(r[9])),
        ))
    logs: dict[int, list[LeadLog]] = {}
    for r in rows(logs_sql, params):
        logs.setdefault(r[1], []).append(LeadLog(r[0], r[1], r[2], r[3], bool(r[4])))
    return leads, events, logs


def pg_lead_when(lead: str, portal: str, when: str) -> str:
    """PostgreSQL: a column of one JSON array of everything ``read`` reads of the lead
    whose id ``lead`` names in the portal ``portal`` names, where ``when`` holds (NULL
    otherwise, and NULL if there is no such lead): for the statements that read a
    lead's stored document (store/leaddocs.py), which read its rows in the same
    statement, one snapshot, only where the reader gets no document.

    The array holds the lead's columns, its primary contact's (NULLs if none,
    chosen as ``_sql`` chooses it), then its conversion events and its log entries
    as arrays of their columns in ``_sql``'s orders (NULL if none); every column
    is a number, a text, a boolean or JSON, so the values decode as psycopg
    gives the columns. A scalar subquery under ``CASE``: where ``when`` is false
    it is not run at all, and where it runs each part is found from the part
    before by key (the contact's id in a LATERAL subquery, then its row), whatever
    the planner's statistics say. As 18 columns of a LATERAL join it cost the
    reads of stored documents a rescan of the join per row and the columns'
    NULLs: about 4 µs of the server's CPU per read.
    """
    lead_cols = ", ".join(f"l.{c}" for c in COLUMNS)
    contact_cols = ", ".join(f"c.{c}" for c in COLUMNS)
    return (
        f"CASE WHEN {when} THEN (SELECT json_build_array({lead_cols}, {contact_cols}, "
        "(SELECT json_agg(json_build_array(e.guid, e.lead_id, e.convert_date, e.form_guid, "
        "e.form_id, e.form_name, e.page_name, e.page_type, e.page_url, e.fields) "
        "ORDER BY e.convert_date, e.guid) "
        "FROM conversion_events e WHERE e.portal_id = l.portal_id AND e.lead_id = l.id), "
        "(SELECT json_agg(json_build_array(g.id, g.lead_id, g.kind, g.inserted_at, "
        "g.previous_state) ORDER BY g.inserted_at, g.id) "
        "FROM lead_logs g WHERE g.portal_id = l.portal_id AND g.lead_id = l.id)) "
        "FROM objects l "
        "LEFT JOIN LATERAL (SELECT a.to_id FROM associations a "
        "WHERE a.portal_id = l.portal_id AND a.from_id = l.id AND a.type_id = "
        f"{ct.LEAD_TO_PRIMARY_CONTACT} ORDER BY a.to_id LIMIT 1) pc ON true "
        "LEFT JOIN objects c ON c.id = pc.to_id AND c.portal_id = l.portal_id "
        f"WHERE l.id = {lead} AND l.portal_id = {portal}) END"
    )


def pg_lead_called(lead: str, portal: str, when: str) -> str:
    """``pg_lead_when`` from the function ``leadhub_lead_rows`` (migration 0015), which
    holds the same subquery: for statements planned every time they run (a v1 list
    page, whose plan depends on its values), where planning the subquery cost about
    0.2 ms of the server's CPU per page, more than a one-week window's page took to
    run. PL/pgSQL plans it once per connection, and only once a lead without a
    document is read; each call costs the server about 15 µs more than the
    subquery, so statements prepared and run often (the point reads) keep the
    subquery. Both are compared with the engine's reads by the same tests."""
    return f"CASE WHEN {when} THEN leadhub_lead_rows({lead}, {portal}) END"


def pg_guid_lead(prop: str) -> str:
    """A join of keys ``k`` (``k.portal``, ``k.value``: a guid, trimmed and lower case) to
    the unique value of their lead's guid (``u``, the lead's id ``u.object_id``), for the
    statements that read leads by guid (store/leaddocs.py)."""
    return (
        "JOIN unique_values u ON u.portal_id = k.portal "
        f"AND u.object_type = '{ct.LEADS}' AND u.property = '{prop}' AND u.value = k.value"
    )


def pg_email_choice(first_converted_prop: str) -> str:
    """A LATERAL subquery (``chosen``, its lead's id ``chosen.id``) of the lead a lookup by
    the email of keys ``k`` (``k.portal``, ``k.value``: normalized) finds, as
    ``leaddocs.by_email_sql`` chooses: live before deleted, then the first converted by
    ``first_converted_prop``, never converted last, then the oldest id; its text
    compared by code point, as Python compares it. For the statements that read leads
    by email (store/leaddocs.py).

    The email's contact is a scalar subquery of its own and its leads are found from
    it, so each step is a lookup by key whatever the planner's statistics say. A join
    of the unique values, the links and the leads left the planner free to nest scans
    of the three tables inside each other, which took more than a minute on 100,000
    leads without indexes.
    """
    first = f"coalesce(f.props->>'{first_converted_prop}', '')"
    return (
        "CROSS JOIN LATERAL (SELECT f.id FROM associations a "
        "JOIN objects f ON f.id = a.to_id AND f.portal_id = a.portal_id "
        f"AND f.object_type = '{ct.LEADS}' "
        f"WHERE a.portal_id = k.portal AND a.type_id = {ct.PRIMARY_CONTACT_TO_LEAD} "
        "AND a.from_id = (SELECT u.object_id FROM unique_values u WHERE u.portal_id = k.portal "
        f"AND u.object_type = '{ct.CONTACTS}' AND u.property = 'email' AND u.value = k.value) "
        f"ORDER BY f.archived, {first} = '', {first} COLLATE \"C\", f.id LIMIT 1) chosen"
    )


LeadRow = tuple[ObjectRow, ObjectRow | None, list[ConversionEvent], list[LeadLog]]


def pg_lead_row(value: Sequence[Any] | None) -> LeadRow | None:
    """What ``read`` gives of the lead of a ``pg_lead_when`` column's value, or None
    where it was not read."""
    return None if value is None else _pg_row(value)


def _pg_row(r: Sequence[Any]) -> LeadRow:
    width = len(COLUMNS)
    events = [
        ConversionEvent(
            guid=e[0], lead_id=e[1], convert_date=e[2], form_guid=e[3], form_id=e[4],
            form_name=e[5], page_name=e[6], page_type=e[7], page_url=e[8],
            fields=list(json_value(e[9])),
        )
        for e in r[2 * width] or ()
    ]
    logs = [LeadLog(g[0], g[1], g[2], g[3], bool(g[4])) for g in r[2 * width + 1] or ()]
    contact = object_row(r, width) if r[width] is not None else None
    return object_row(r, 0), contact, events, logs


def driver_rows(conn: Any) -> Rows:
    """``Rows`` inside a SQLAlchemy connection's transaction: its driver's connection
    itself, sqlite3's or psycopg's (``sql.driver_query``; the engine's statement
    handling cost as much as the reads on SQLite, and twice the reads' CPU on
    PostgreSQL)."""
    return lambda sql, params: driver_query(conn, sql, params)


__all__ = [
    "STATEMENTS", "LeadRow", "LeadRows", "Rows", "driver_rows",
    "find_unique_many", "pg_email_choice", "pg_guid_lead", "pg_lead_called", "pg_lead_row",
    "pg_lead_when", "read",
]

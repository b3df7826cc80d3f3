"""Repository of pre-rendered v1 lead documents (table ``lead_documents``).

A document is a lead's v1 JSON with its links relative to the server and
a mark where the face puts the base URL (leads/documents.py). On SQLite,
triggers (migration 0005) delete a document whenever anything it was made
of changes; documents are only ever written from data read in the same
write transaction, so a stored one is current. Point reads use the two
statements below through ``Database.fast_rows``: one indexed lookup, no ORM.
On PostgreSQL, triggers (migration 0014) empty a document and bump its
lead's version instead, and a read stores the document it rendered only
while the version it read with the rows is still the lead's (``PG_STORE``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.crm_types import (
    CONTACTS,
    LEAD_TO_PRIMARY_CONTACT,
    LEADS,
    PRIMARY_CONTACT_TO_LEAD,
)
from leadhub.store.leadrows import (
    pg_email_choice,
    pg_guid_lead,
    pg_lead_called,
    pg_lead_when,
)
from leadhub.store.pgbatch import Batched, keys
from leadhub.store.schema import lead_documents

BY_GUID = "SELECT doc FROM lead_documents WHERE portal_id = ? AND guid = ?"

# The document of a guid's lead if that lead is not deleted (a list of one guid).
LIVE_BY_GUID = "SELECT doc FROM lead_documents WHERE portal_id = ? AND guid = ? AND NOT archived"

# The lead a conversion event belongs to, with its document if stored.
BY_EVENT = (
    "SELECT e.lead_id, d.doc FROM conversion_events e "
    "LEFT JOIN lead_documents d ON d.lead_id = e.lead_id AND d.portal_id = e.portal_id "
    "WHERE e.portal_id = ? AND e.guid = ?"
)

# The document that an email finds alone (its person has this one lead).
BY_DOC_EMAIL = "SELECT doc FROM lead_documents WHERE portal_id = ? AND email = ? LIMIT 2"

@lru_cache(maxsize=4)
def by_email_sql(first_converted_prop: str) -> str:
    """The lead a lookup by email finds, with its document if stored: parameters portal id,
    then the email (normalized). Of the leads whose primary contact holds the email: live
    before deleted, then the first converted by ``first_converted_prop`` (never converted
    last), then the oldest id, as ``leads.service.find_lead_id`` chooses."""
    first = f"coalesce(json_extract(l.props, '$.\"{first_converted_prop}\"'), '')"
    return (
        "SELECT l.id, d.doc FROM unique_values u "
        "JOIN associations a ON a.portal_id = u.portal_id AND a.from_id = u.object_id "
        f"AND a.type_id = {PRIMARY_CONTACT_TO_LEAD} "
        "JOIN objects l ON l.id = a.to_id AND l.portal_id = u.portal_id "
        f"AND l.object_type = '{LEADS}' "
        "LEFT JOIN lead_documents d ON d.lead_id = l.id AND d.portal_id = u.portal_id "
        f"WHERE u.portal_id = ? AND u.object_type = '{CONTACTS}' AND u.property = 'email' "
        f"AND u.value = ? ORDER BY l.archived, {first} = '', {first}, l.id LIMIT 1"
    )


@lru_cache(maxsize=128)
def docs_sql(count: int) -> str:
    """Rows (lead id, document) of ``count`` leads: parameters portal id, then the ids.

    Looked up by primary key only: SQLite's unary ``+`` keeps the planner (which
    has no statistics) from walking every document of the portal in the
    ``(portal_id, email)`` index and testing each id against the list instead.
    """
    marks = ",".join("?" * count)
    return f"SELECT lead_id, doc FROM lead_documents WHERE +portal_id = ? AND lead_id IN ({marks})"


def get_many(conn: Connection, portal_id: int, lead_ids: Sequence[int]) -> dict[int, bytes]:
    """The stored documents of these leads (missing ones are absent)."""
    if not lead_ids:
        return {}
    if conn.dialect.name == "sqlite":
        found = conn.exec_driver_sql(docs_sql(len(lead_ids)), (portal_id, *lead_ids))
        return {lead_id: bytes(doc) for lead_id, doc in found}
    rows = conn.execute(
        sa.select(lead_documents.c.lead_id, lead_documents.c.doc).where(
            lead_documents.c.portal_id == portal_id,
            lead_documents.c.lead_id.in_(list(lead_ids)),
        )
    )
    return {r.lead_id: bytes(r.doc) for r in rows}


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """A savepoint for storing documents inside a SQLite write transaction, rolled back
    (and the error raised on) if the block raises.

    The sqlite3 connection's own statements: the engine's ``begin_nested`` cost
    more than storing one lead's document.
    """
    raw: Any = conn.connection.driver_connection
    raw.execute("SAVEPOINT lead_documents")
    try:
        yield
    except BaseException:
        raw.execute("ROLLBACK TO lead_documents")
        raw.execute("RELEASE lead_documents")
        raise
    raw.execute("RELEASE lead_documents")


def put_many(
    conn: Connection, portal_id: int, docs: Iterable[tuple[int, str, bytes, bool]]
) -> None:
    """Store (lead id, guid, document, lead deleted) rows, replacing older ones.

    On SQLite, on the transaction's own sqlite3 connection with SQL made once
    per number of rows: through the engine, building the three statements cost
    more than the render of a lead (a v1 PUT stores its lead's document).
    """
    rows = list(docs)
    if not rows:
        return
    ids = [row[0] for row in rows]
    if conn.dialect.name == "sqlite":
        raw: Any = conn.connection.driver_connection
        delete, set_email = replace_sql(len(ids))
        raw.execute(delete, ids)
        raw.executemany(_INSERT, [
            (lead_id, portal_id, guid, doc, archived) for lead_id, guid, doc, archived in rows
        ])
        raw.execute(set_email, ids)
        return
    # PostgreSQL: rows are never deleted there, and a document written from a write
    # transaction's data bumps the version (migration 0014), so that no read from
    # before it stores over it.
    conn.exec_driver_sql(_PG_PUT, [
        (lead_id, portal_id, guid, doc, archived) for lead_id, guid, doc, archived in rows
    ])
    conn.execute(_SET_EMAIL, {"ids": ids})


_PG_PUT = (
    "INSERT INTO lead_documents AS d (lead_id, portal_id, guid, doc, archived, version) "
    "VALUES (%s, %s, %s, %s, %s, 1) ON CONFLICT (lead_id) DO UPDATE SET "
    "portal_id = excluded.portal_id, guid = excluded.guid, doc = excluded.doc, "
    "archived = excluded.archived, version = d.version + 1"
)

# PostgreSQL's documents (migration 0014), many reads or stores in one statement
# (store/pgbatch.py). A document that is there is current: the triggers empty it on any
# change. Each read returns its lead's id and version (0 where the lead has no row
# yet: a row the triggers insert starts at 1), and the document only where the
# version is not the one the reader already holds the document of (``known``): the
# process keeps the documents it read or rendered (leads/documents.py), and a
# version says which data a document was rendered from.
_PG_VERSION = "coalesce(d.version, 0)"
# The column of the lead's rows in a row of ``_pg_docs`` (``leadrows.pg_lead_when``).
PG_ROWS_AT = 7


def _pg_docs(
    place: str, lead: str, portal: str, held: str, source: str, *, prepared: bool = True
) -> str:
    """The statement of ``pg_docs_by_guids``, ``pg_docs_by_emails`` and
    ``pg_page_docs``: a row per lead of ``source`` (its place ``place``, its id
    ``lead``, in the portal ``portal``): the place, the lead's id, its document's
    version, the document unless the reader holds it (``held``: a condition, NULL
    counting as false), whether the lead is deleted (as the stored document says),
    whether a document is stored, its lead's guid (as stored with it), then the
    lead's rows where that leaves the reader without a document (NULL otherwise),
    read with the version in one snapshot: by a subquery in a statement
    ``prepared`` and planned once, from a function in one planned at every run
    (``leadrows.pg_lead_called``)."""
    rows = pg_lead_when if prepared else pg_lead_called
    return (
        f"SELECT {place}, {lead}, {_PG_VERSION}, CASE WHEN {held} THEN NULL ELSE d.doc END, "
        "d.archived, d.doc IS NOT NULL, d.guid, "
        + rows(lead, portal, f"d.doc IS NULL AND NOT coalesce({held}, false)")
        + f" FROM {source} LEFT JOIN lead_documents d ON d.lead_id = {lead}"
    )


@lru_cache(maxsize=4)
def pg_docs_by_guids(guid_prop: str) -> Batched:
    """For guids (of the unique property ``guid_prop``), ``_pg_docs`` of each one's lead,
    whose document the reader holds if its version is ``known``.
    Keys: portal id, guid (trimmed, lower case), known version (or NULL).

    The guid's lead is found by its unique value and its document by the lead's id,
    each a lookup by key. The documents' own (portal, guid) index would serve too,
    but rows the triggers insert have neither, and with the statistics of a store
    that holds mostly such rows the planner walked the portal's documents instead.
    """
    return Batched(_pg_docs(
        "k.n", "u.object_id", "k.portal", f"{_PG_VERSION} = k.known",
        f"{keys(portal='bigint', value='text', known='bigint')} {pg_guid_lead(guid_prop)}",
    ), binary=True)


@lru_cache(maxsize=4)
def pg_docs_by_emails(first_converted_prop: str) -> Batched:
    """For emails, ``_pg_docs`` of the lead each one's lookup finds
    (``leadrows.pg_email_choice``, as ``by_email_sql`` chooses), whose document the
    reader holds if it is ``known_lead`` at version ``known``.
    Keys: portal id, email (normalized), known lead id and version (or NULLs)."""
    keyed = keys(portal="bigint", value="text", known_lead="bigint", known="bigint")
    return Batched(_pg_docs(
        "k.n", "chosen.id", "k.portal", f"chosen.id = k.known_lead AND {_PG_VERSION} = k.known",
        f"{keyed} {pg_email_choice(first_converted_prop)}",
    ), binary=True)


@lru_cache(maxsize=256)
def pg_page_docs(ids_sql: str) -> str:
    """``_pg_docs`` of the leads a statement's ids name (``ids_sql``, with ``%(name)s``
    placeholders and an ``ORDER BY``; parameter ``portal`` among them), in its order,
    for a reader that holds no document: the stored document where there is one, the
    lead's rows where there is none. A v1 list page on PostgreSQL:
    the list's own SQL, its leads' documents and the rows of those without one in one
    statement, one snapshot.

    The ids are collected by an ``ARRAY(...)`` of that statement, whose own ORDER BY
    orders them, and numbered by ``unnest ... WITH ORDINALITY``: the order is the
    statement's, not whatever order a join would leave."""
    return _pg_docs(
        "p.n", "p.id", "%(portal)s", "false",
        f"unnest(ARRAY({ids_sql})) WITH ORDINALITY AS p(id, n)", prepared=False,
    ) + " ORDER BY p.n"


# Documents rendered from reads, stored while the version each read took with its rows
# is still the lead's (0: while there is no row, or one a read stored); one row per lead, the
# highest version read. Keys: lead id, portal id, guid, document (hex), deleted,
# version.
PG_STORE = Batched(
    "INSERT INTO lead_documents AS d (lead_id, portal_id, guid, doc, archived, version) "
    "SELECT DISTINCT ON (k.lead) k.lead, k.portal, k.guid, k.doc, k.archived, k.version "
    "FROM " + keys(lead="bigint", portal="bigint", guid="text", doc="bytea", archived="boolean",
                   version="bigint") + " "
    "ORDER BY k.lead, k.version DESC "
    "ON CONFLICT (lead_id) DO UPDATE SET portal_id = excluded.portal_id, "
    "guid = excluded.guid, doc = excluded.doc, archived = excluded.archived "
    "WHERE d.version = excluded.version",
)


def pg_store_key(
    lead_id: int, portal_id: int, guid: str, doc: bytes, archived: bool, version: int
) -> tuple[int, int, str, str, bool, int]:
    """A key of ``PG_STORE``: a lead's document, to store while ``version`` is still the
    lead's (the document as hex: ``keys`` takes bytea so)."""
    return lead_id, portal_id, guid, doc.hex(), archived, version


# A document's email: its lead's one primary contact's email, if that contact has
# no other lead (what by_email_sql would find alone). Triggers (migration 0011) clear
# it when the contact gains a lead; the 0005 triggers drop the document on any
# other change of the lead, the contact or their association. Scalar subqueries,
# not joins: each is one primary-key or index lookup whatever order the planner
# would have chosen for a join (it picked the walk of every contact's email).
_CONTACT = (
    "(SELECT a.to_id FROM associations a WHERE a.portal_id = lead_documents.portal_id"
    f" AND a.from_id = lead_documents.lead_id AND a.type_id = {LEAD_TO_PRIMARY_CONTACT})"
)
_SET_EMAIL_SQL = (
    "UPDATE lead_documents SET email = ("
    " SELECT u.value FROM unique_values u WHERE u.portal_id = lead_documents.portal_id"
    f" AND u.object_type = '{CONTACTS}' AND u.property = 'email' AND u.object_id = {_CONTACT})"
    " WHERE lead_id IN :ids"
    " AND (SELECT count(*) FROM associations a WHERE a.portal_id = lead_documents.portal_id"
    f" AND a.from_id = lead_documents.lead_id AND a.type_id = {LEAD_TO_PRIMARY_CONTACT}) = 1"
    " AND (SELECT count(*) FROM associations b WHERE b.portal_id = lead_documents.portal_id"
    f" AND b.from_id = {_CONTACT} AND b.type_id = {PRIMARY_CONTACT_TO_LEAD}) = 1"
    " AND EXISTS (SELECT 1 FROM associations b WHERE b.portal_id = lead_documents.portal_id"
    f" AND b.from_id = {_CONTACT} AND b.type_id = {PRIMARY_CONTACT_TO_LEAD}"
    " AND b.to_id = lead_documents.lead_id)"
)
_SET_EMAIL = sa.text(_SET_EMAIL_SQL).bindparams(sa.bindparam("ids", expanding=True))
_INSERT = (
    "INSERT INTO lead_documents (lead_id, portal_id, guid, doc, archived) VALUES (?, ?, ?, ?, ?)"
)


@lru_cache(maxsize=64)
def replace_sql(count: int) -> tuple[str, str]:
    """The delete before the insert and the email update after it, for ``count`` leads."""
    marks = ",".join("?" * count)
    return (
        f"DELETE FROM lead_documents WHERE lead_id IN ({marks})",
        _SET_EMAIL_SQL.replace(":ids", f"({marks})"),
    )


# Leads whose documents a write transaction changed, recorded by temporary
# triggers of the writing connection (SQLite only) and read just before its
# commit, so that their documents are stored again from the transaction's own
# data (leads/documents.py). The triggers of migrations 0005 and 0011 delete
# the documents; these, beside them, say which leads to render again. Being
# temporary, they cost no write to the file and see only this process's
# writes: a lead another program changes loses its document as before, and
# is read from its rows until it is stored again.
STALE = "lead_documents_stale"
_RECORD = f"INSERT OR IGNORE INTO {STALE} (lead_id, portal_id) "
# A contact's change changes the documents of its leads; a contact with very
# many leads has the rest stored again as they are read.
CONTACT_FANOUT = 50
_LEAD_SIDE = (
    f"CASE {{r}}.type_id WHEN {LEAD_TO_PRIMARY_CONTACT} THEN {{r}}.from_id ELSE {{r}}.to_id END"
)
_CONTACT_SIDE = (
    f"CASE {{r}}.type_id WHEN {PRIMARY_CONTACT_TO_LEAD} THEN {{r}}.from_id ELSE {{r}}.to_id END"
)
_PRIMARY = f"{{r}}.type_id IN ({LEAD_TO_PRIMARY_CONTACT}, {PRIMARY_CONTACT_TO_LEAD})"
_CONTACT_LEADS = (
    "SELECT to_id, {r}.portal_id FROM main.associations WHERE portal_id = {r}.portal_id "
    f"AND from_id = {{contact}} AND type_id = {PRIMARY_CONTACT_TO_LEAD} LIMIT {{limit}};"
)
# (table, event, row, WHEN condition, statements)
_STALE_TRIGGERS: tuple[tuple[str, str, str, str, str], ...] = (
    *(("objects", event, "NEW", f"NEW.object_type = '{LEADS}'",
       _RECORD + "VALUES (NEW.id, NEW.portal_id);") for event in ("INSERT", "UPDATE")),
    *(("objects", event, row, f"{row}.object_type = '{CONTACTS}'",
       _RECORD + _CONTACT_LEADS.format(r=row, contact=f"{row}.id", limit=CONTACT_FANOUT))
      for event, row in (("UPDATE", "NEW"), ("DELETE", "OLD"))),
    *(("associations", event, row, _PRIMARY.format(r=row),
       _RECORD + f"VALUES ({_LEAD_SIDE.format(r=row)}, {row}.portal_id);")
      for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("UPDATE", "OLD"),
                         ("DELETE", "OLD"))),
    # A contact that gains a lead: its other lead's document loses its email
    # (migration 0011); with two leads or more before, none had one. One that
    # loses a lead and keeps one: that lead's document gains its email.
    *(("associations", event, row, _PRIMARY.format(r=row),
       _RECORD + _CONTACT_LEADS.format(
           r=row, contact=_CONTACT_SIDE.format(r=row), limit=2))
      for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("UPDATE", "OLD"),
                         ("DELETE", "OLD"))),
    *((table, event, row, "1",
       _RECORD + f"VALUES ({row}.lead_id, {row}.portal_id);")
      for table in ("conversion_events", "lead_logs")
      for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("UPDATE", "OLD"),
                         ("DELETE", "OLD"))),
)
_STALE_SQL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STALE} "
    "(lead_id INTEGER PRIMARY KEY, portal_id INTEGER NOT NULL)",
    *(f"CREATE TEMP TRIGGER IF NOT EXISTS {STALE}_{n} AFTER {event} ON main.{table} "
      f"WHEN {when} BEGIN {body} END"
      for n, (table, event, _row, when, body) in enumerate(_STALE_TRIGGERS)),
)
_STALE_COUNT = (
    f"SELECT count(*) FROM temp.sqlite_master WHERE type = 'trigger' AND name GLOB '{STALE}_*'"
)


def track_stale(raw: Any) -> bool:
    """Make sure this sqlite3 connection records the leads its writes change; False
    where it cannot (the store's tables are not made yet).

    Checked at each write: a migration that rebuilds a table drops the
    temporary triggers on it.
    """
    if raw.execute(_STALE_COUNT).fetchone()[0] == len(_STALE_TRIGGERS):
        return True
    try:
        for sql in _STALE_SQL:
            raw.execute(sql)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return False
        raise
    return True


def take_stale(raw: Any) -> dict[int, list[int]]:
    """The leads this connection's transaction changed, by portal, forgotten as read."""
    rows = raw.execute(f"SELECT portal_id, lead_id FROM temp.{STALE} ORDER BY lead_id").fetchall()
    if not rows:
        return {}
    raw.execute(f"DELETE FROM temp.{STALE}")
    by_portal: dict[int, list[int]] = {}
    for portal_id, lead_id in rows:
        by_portal.setdefault(portal_id, []).append(lead_id)
    return by_portal

"""Repository of pre-rendered v1 lead documents (table ``lead_documents``).

A document is a lead's v1 JSON with its links relative to the server and
a mark where the face puts the base URL (leads/documents.py). Triggers (migration 0005) delete a
document whenever anything it was made of changes; documents are only ever
written from data read in the same write transaction, so a stored one is
current. Point reads use the two statements below through
``Database.fast_rows``: one indexed lookup, no ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.crm_types import CONTACTS, LEAD_TO_PRIMARY_CONTACT, PRIMARY_CONTACT_TO_LEAD
from leadhub.store.schema import lead_documents

BY_GUID = "SELECT doc FROM lead_documents WHERE portal_id = ? AND guid = ?"

# The document that an email finds alone (its person has this one lead).
BY_DOC_EMAIL = "SELECT doc FROM lead_documents WHERE portal_id = ? AND email = ? LIMIT 2"

# The leads of the contact holding an email, with their documents if stored.
BY_EMAIL = (
    "SELECT a.to_id, d.doc FROM unique_values u "
    "JOIN associations a ON a.portal_id = u.portal_id AND a.from_id = u.object_id "
    f"AND a.type_id = {PRIMARY_CONTACT_TO_LEAD} "
    "LEFT JOIN lead_documents d ON d.lead_id = a.to_id AND d.portal_id = u.portal_id "
    f"WHERE u.portal_id = ? AND u.object_type = '{CONTACTS}' AND u.property = 'email' "
    "AND u.value = ? LIMIT 2"
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


def put_many(conn: Connection, portal_id: int, docs: Iterable[tuple[int, str, bytes]]) -> None:
    """Store (lead id, guid, document) rows, replacing older ones.

    On SQLite, on the transaction's own sqlite3 connection with SQL made once
    per number of rows: through the engine, building the three statements cost
    more than the render of a lead (a v1 PUT stores its lead's document).
    """
    rows = list(docs)
    if not rows:
        return
    ids = [lead_id for lead_id, _, _ in rows]
    if conn.dialect.name == "sqlite":
        raw: Any = conn.connection.driver_connection
        delete, set_email = replace_sql(len(ids))
        raw.execute(delete, ids)
        raw.executemany(_INSERT, [(lead_id, portal_id, guid, doc) for lead_id, guid, doc in rows])
        raw.execute(set_email, ids)
        return
    conn.execute(lead_documents.delete().where(lead_documents.c.lead_id.in_(ids)))
    conn.execute(lead_documents.insert(), [
        {"lead_id": lead_id, "portal_id": portal_id, "guid": guid, "doc": doc}
        for lead_id, guid, doc in rows
    ])
    conn.execute(_SET_EMAIL, {"ids": ids})


# A document's email: its lead's one primary contact's email, if that contact has
# no other lead (what BY_EMAIL would find alone). Triggers (migration 0011) clear
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
_INSERT = "INSERT INTO lead_documents (lead_id, portal_id, guid, doc) VALUES (?, ?, ?, ?)"


@lru_cache(maxsize=64)
def replace_sql(count: int) -> tuple[str, str]:
    """The delete before the insert and the email update after it, for ``count`` leads."""
    marks = ",".join("?" * count)
    return (
        f"DELETE FROM lead_documents WHERE lead_id IN ({marks})",
        _SET_EMAIL_SQL.replace(":ids", f"({marks})"),
    )

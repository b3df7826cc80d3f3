"""The SQL behind the v1 lead list: filters, search, sort and paging.

A v1 lead row is a lead object joined to its primary contact (association
type 578). Properties are read from the JSON property documents; a missing
value sorts as the empty string (text) or 0 (numbers), as v1 renders it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection

from leadhub.crm_types import LEAD_TO_PRIMARY_CONTACT, LEADS
from leadhub.store.schema import associations, objects

Owner = Literal["lead", "contact", "created", "updated"]
# "folded": text compared in lower case (names, emails); "text": as stored;
# "ranked": a value's position in ``Column.ranks`` (1, 2, ...; others 0).
SortKind = Literal["text", "folded", "number", "ranked"]


@dataclass(frozen=True)
class Column:
    """Where a sortable or filterable v1 value lives."""

    owner: Owner
    prop: str = ""
    kind: SortKind = "text"
    ranks: tuple[str, ...] = ()


@dataclass
class LeadListQuery:
    """A v1 list request in store terms."""

    portal_id: int
    limit: int
    offset: int = 0
    # Words that must each appear in the first name, last name, email or company.
    search: list[str] = field(default_factory=list)
    sort: Column = field(default_factory=lambda: Column("updated"))
    descending: bool = True
    pivot: Column | None = None
    # Bounds in the pivot's own representation (ms for created/updated, ISO text for props).
    start: int | str | None = None
    stop: int | str | None = None
    # property -> required text value, on lead or contact
    equals: list[tuple[Column, str]] = field(default_factory=list)
    not_equals: list[tuple[Column, str]] = field(default_factory=list)
    include_deleted: bool = False
    lead_ids: list[int] | None = None
    # An FTS5 query over ``contact_search`` narrowing the search's candidates
    # (SQLite only; set by ``plan_search``).
    fts: str | None = None


# Contact properties the v1 ``search`` parameter looks in (seed 001).
SEARCHED_PROPS = ("firstname", "lastname", "email", "company")

L = objects.alias("l")
C = objects.alias("c")
A = associations.alias("a")
# SQLite's copy of each contact's searched values: the content table of the
# contact_search FTS5 table (migration 0009), one column per SEARCHED_PROPS.
SEARCH_COPY_COLUMNS = ("c0", "c1", "c2", "c3")
S = sa.table(
    "contact_search_content", sa.column("id"),
    *(sa.column(c, sa.String) for c in SEARCH_COPY_COLUMNS),
).alias("s")

# The trigram index (migration 0008) serves words of three or more characters.
FTS_MIN_CHARS = 3
# A search whose words match fewer contacts than this is answered from the
# index; one matching more walks the list's sort order, which finds a page
# of a common word sooner than reading and sorting all its matches would.
FTS_CAP = 500
# How long a decision for an FTS query is kept; it only ever affects speed.
FTS_PLAN_SECONDS = 60.0
_FTS_PROBE = (
    "SELECT count(*) FROM (SELECT 1 FROM contact_search WHERE contact_search MATCH ? LIMIT ?)"
)
_fts_plans: dict[str, tuple[float, bool]] = {}
_MAX_FTS_PLANS = 4096


def _expr(col: Column) -> sa.ColumnElement:
    if col.owner == "created":
        return L.c.created_at
    if col.owner == "updated":
        return L.c.updated_at
    table = L if col.owner == "lead" else C
    text = table.c.props[col.prop].as_string()
    if col.kind == "number":
        return sa.func.coalesce(sa.cast(text, sa.Float), 0.0)
    if col.kind == "ranked":
        return sa.case({v: i for i, v in enumerate(col.ranks, 1)}, value=text, else_=0)
    if col.kind == "folded":
        return sa.func.lower(sa.func.coalesce(text, ""))
    return sa.func.coalesce(text, "")


def _escape_like(word: str) -> str:
    """A search word with LIKE's wildcards made literal (escape character ``/``)."""
    return word.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _values(q: LeadListQuery) -> dict[str, Any]:
    """The values of a list query that vary between requests, by parameter name."""
    values: dict[str, Any] = {"portal": q.portal_id, "limit": q.limit, "offset": q.offset}
    for i, word in enumerate(q.search):
        values[f"w{i}"] = _escape_like(word)
    if q.pivot is not None:
        if q.start is not None:
            values["start"] = q.start
        if q.stop is not None:
            values["stop"] = q.stop
    for i, (_, value) in enumerate(q.equals):
        values[f"eq{i}"] = value
    for i, (_, value) in enumerate(q.not_equals):
        values[f"ne{i}"] = value
    if q.fts is not None:
        values["fts"] = q.fts
    if q.lead_ids is not None:
        values["ids"] = json.dumps(q.lead_ids)
    return values


def reads_contact(q: LeadListQuery) -> bool:
    """Whether the query looks at the primary contact (search, sort, window or filter)."""
    return bool(q.search) or _reads_contact_props(q)


def _reads_contact_props(q: LeadListQuery) -> bool:
    """Whether the query sorts, windows or filters by a contact property."""
    columns = [q.sort, q.pivot, *(c for c, _ in q.equals), *(c for c, _ in q.not_equals)]
    return any(c is not None and c.owner == "contact" for c in columns)


def _select(
    q: LeadListQuery, param: Callable[[str], Any], search_copy: bool = False
) -> sa.Select[Any]:
    """The list query, with ``param(name)`` standing for each value of ``_values``.

    The primary contact is joined only when the query looks at it: a lead has
    at most one primary contact (crm/associations.py), so the outer join never
    adds or removes a lead, and without it a page deep in a sort order is a
    walk of one covering index instead of an association lookup per lead
    skipped (offset 10,000 on a million leads: 3.8 -> 0.3 ms).

    With ``search_copy`` (SQLite) the search matches the contact's four
    searched values as ``contact_search`` holds them (``S``: the very
    ``json_extract`` results, kept by triggers in the same transaction as any
    write, migration 0009) instead of extracting them from the contact's JSON
    for every row walked: the same matches, about half the time for a
    common word.
    """
    joined: sa.FromClause = L
    by_copy = search_copy and bool(q.search)
    if reads_contact(q):
        joined = L.outerjoin(
            A,
            sa.and_(
                A.c.portal_id == L.c.portal_id,
                A.c.from_id == L.c.id,
                A.c.type_id == LEAD_TO_PRIMARY_CONTACT,
            ),
        )
        if by_copy:
            joined = joined.outerjoin(S, S.c.id == A.c.to_id)
        if _reads_contact_props(q) or (q.search and not by_copy):
            joined = joined.outerjoin(C, C.c.id == A.c.to_id)
    # On the FTS path and for a list of guids the few candidates are read by id and
    # sorted; SQLite's unary + keeps it from walking a sort index over the whole portal
    # instead.
    by_id = q.fts is not None or q.lead_ids is not None
    portal = sa.literal_column("+l.portal_id") if by_id else L.c.portal_id
    query = sa.select(L.c.id).select_from(joined).where(
        portal == param("portal"), L.c.object_type == LEADS
    )
    if not q.include_deleted:
        query = query.where(L.c.archived == sa.false())
    if q.lead_ids is not None:
        ids = param("ids")
        if isinstance(ids, sa.BindParameter):
            query = query.where(L.c.id.in_(q.lead_ids))
        else:
            # The reusable text takes the ids as one JSON array.
            query = query.where(sa.text("l.id IN (SELECT value FROM json_each(\\:ids))"))
    for i in range(len(q.search)):
        term = param(f"w{i}")
        if by_copy:
            # SQLite's LIKE ignores the case of ASCII letters, and only of those, as its
            # lower() folds only those: the same matches as lower() on both sides, at
            # about two thirds of the time of a walk through a common word's leads.
            matches = [S.c[col].contains(term, escape="/") for col in SEARCH_COPY_COLUMNS]
        else:
            matches = [
                C.c.props[p].as_string().icontains(term, escape="/") for p in SEARCHED_PROPS
            ]
        query = query.where(sa.or_(*matches))
    if q.fts is not None:
        query = query.where(_fts_leads(param))
    if q.pivot is not None:
        pivot = _expr(q.pivot)
        if q.start is not None:
            query = query.where(pivot >= param("start"))
        if q.stop is not None:
            query = query.where(pivot <= param("stop"))
    for i, (col, _) in enumerate(q.equals):
        query = query.where(_expr(col) == param(f"eq{i}"))
    for i, (col, _) in enumerate(q.not_equals):
        query = query.where(_expr(col) != param(f"ne{i}"))
    order = _expr(q.sort)
    if q.descending:
        query = query.order_by(order.desc(), L.c.id.desc())
    else:
        query = query.order_by(order.asc(), L.c.id.asc())
    return query.limit(param("limit")).offset(param("offset"))


# The leads whose primary contact the index finds. Only narrows the
# candidates (the LIKE conditions decide). CROSS JOIN makes SQLite read the
# index first, and INDEXED BY looks each contact's lead up by contact: left to
# itself the planner scans the portal's associations instead (no statistics).
_FTS_LEADS = (
    "l.id IN (SELECT a2.from_id FROM contact_search CROSS JOIN associations AS a2 "
    "INDEXED BY ix_associations_to ON a2.portal_id = :portal AND a2.to_id = contact_search.rowid "
    f"AND a2.type_id = {LEAD_TO_PRIMARY_CONTACT} WHERE contact_search MATCH :fts)"
)


def _fts_leads(param: Callable[[str], Any]) -> sa.TextClause:
    portal, fts = param("portal"), param("fts")
    if isinstance(fts, sa.BindParameter):
        return sa.text(_FTS_LEADS).bindparams(portal, fts)
    # Named parameters of the reusable text, kept as they are.
    return sa.text(_FTS_LEADS.replace(":", "\\:"))


def list_lead_ids(conn: Connection, q: LeadListQuery) -> list[int]:
    """Ids of the leads matching the query, in order, one page."""
    if conn.dialect.name == "sqlite":
        plan_search(q, lambda sql, args: conn.exec_driver_sql(sql, args).fetchall())
    values = _values(q)
    binds: dict[str, Any] = {}
    query = _select(
        q, lambda name: binds.setdefault(name, sa.bindparam(name, values[name])),
        search_copy=conn.dialect.name == "sqlite",
    )
    return [r[0] for r in conn.execute(query)]


def fts_query(words: list[str]) -> str | None:
    """The FTS5 query finding contacts that contain every word the trigram index can serve."""
    served = [w for w in words if len(w) >= FTS_MIN_CHARS]
    if not served:
        return None
    # A quoted string is a phrase: its trigrams in order, i.e. the substring.
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in served)


def plan_search(q: LeadListQuery, rows: Callable[[str, tuple[Any, ...]], Sequence[Any]]) -> None:
    """Decide whether the trigram index narrows this search (SQLite); sets ``q.fts``.

    ``rows(sql, params)`` runs a statement on the connection the list will
    use. The decision is kept for a while per FTS query: a probe costs about
    as much as a short list, and a stale decision costs only time.
    """
    q.fts = None
    expr = fts_query(q.search)
    if expr is None:
        return
    now = time.monotonic()
    plan = _fts_plans.get(expr)
    if plan is None or plan[0] < now:
        count = rows(_FTS_PROBE, (expr, FTS_CAP))[0][0]
        plan = (now + FTS_PLAN_SECONDS, count < FTS_CAP)
        if len(_fts_plans) >= _MAX_FTS_PLANS:
            _fts_plans.clear()
        _fts_plans[expr] = plan
    if plan[1]:
        q.fts = expr


def _shape(q: LeadListQuery) -> tuple[Hashable, ...]:
    """What the SQL text of a list query depends on (its values aside)."""
    return (
        q.include_deleted,
        q.lead_ids is None,
        len(q.search),
        q.pivot,
        q.start is None,
        q.stop is None,
        tuple(col for col, _ in q.equals),
        tuple(col for col, _ in q.not_equals),
        q.sort,
        q.descending,
        q.fts is None,
    )


_SQLITE = sqlite_dialect.dialect()
_TEXTS: dict[tuple[Hashable, ...], str] = {}
_MAX_TEXTS = 1024


def sqlite_list_sql(q: LeadListQuery) -> tuple[str, dict[str, Any]]:
    """The list query as SQLite text with named parameters, and their values.

    The text is compiled once per shape (sort, direction, which filters) and
    reused: building and compiling the query is most of a list's cost when
    the page itself comes from an index. A query restricted to ``lead_ids``
    takes them as one JSON array (``:ids``).
    """
    key = _shape(q)
    text = _TEXTS.get(key)
    if text is None:
        query = _select(q, lambda name: sa.literal_column(f":{name}"), search_copy=True)
        text = str(query.compile(dialect=_SQLITE, compile_kwargs={"literal_binds": True}))
        if len(_TEXTS) < _MAX_TEXTS:
            _TEXTS[key] = text
    return text, _values(q)


_POSTGRESQL = postgresql_dialect.psycopg.dialect()
_PG_TEXTS: dict[tuple[Hashable, ...], str] = {}
# A named parameter as the compiler writes a literal column's text: its % doubled.
_PG_PARAM = re.compile(r"%%\((\w+)\)s")


def pg_list_sql(q: LeadListQuery) -> tuple[str, dict[str, Any]]:
    """The list query as PostgreSQL text with psycopg's named parameters (``%(name)s``),
    and their values: the statement the engine runs for it, compiled once per shape
    (``sqlite_list_sql``). Not for a list restricted to ``lead_ids`` (ValueError), whose
    reusable text is SQLite's."""
    if q.lead_ids is not None:
        raise ValueError("a list restricted to lead ids has no PostgreSQL text")
    key = _shape(q)
    text = _PG_TEXTS.get(key)
    if text is None:
        query = _select(q, lambda name: sa.literal_column(f"%({name})s"))
        compiled = str(query.compile(
            dialect=_POSTGRESQL, compile_kwargs={"literal_binds": True}))
        text = _PG_PARAM.sub(r"%(\1)s", compiled)
        if len(_PG_TEXTS) < _MAX_TEXTS:
            _PG_TEXTS[key] = text
    return text, _values(q)

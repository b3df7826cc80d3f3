"""The SQL behind the v3 object list and search: filters, sorts, paging, counts.

Filters arrive already in store terms (``Cond``): which value to look at
(a stored property as text or as a number, or a row column) and the values in
their stored form. Text comparisons ignore case, as HubSpot's search does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.store.pgbatch import Batched, keys
from leadhub.store.schema import associations, objects
from leadhub.store.sql import number_value

Kind = Literal["text", "number", "column", "assoc"]
Op = Literal[
    "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
    "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
]


@dataclass(frozen=True)
class Cond:
    """One filter on ``prop``: a property, a column ("column"), or an object type ("assoc")."""

    kind: Kind
    prop: str
    op: Op
    values: tuple[str | int | float, ...] = ()


@dataclass
class SearchQuery:
    """A search in store terms: OR of AND-groups, one sort, an offset page."""

    portal_id: int
    object_type: str
    groups: list[list[Cond]] = field(default_factory=list)
    text: str = ""
    text_props: tuple[str, ...] = ()
    sort: tuple[Kind, str] | None = None
    descending: bool = False
    offset: int = 0
    limit: int = 10


def _value_expr(kind: Kind, prop: str) -> sa.ColumnElement:
    if kind == "column":
        return objects.c[prop]
    text = objects.c.props[prop].as_string()
    if kind == "number":
        # Text that is not a number (a property whose type was changed) is no value,
        # rather than a cast error on PostgreSQL.
        return number_value(text)
    return text


def _associated(c: Cond) -> sa.ColumnElement[bool]:
    """``associations.<type>`` filters: the record is (not) associated with these ids."""
    linked = sa.select(sa.literal(1)).where(
        associations.c.portal_id == objects.c.portal_id,
        associations.c.from_id == objects.c.id,
        associations.c.to_type == c.prop,
    )
    if c.op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        found = sa.exists(linked)
        return found if c.op == "HAS_PROPERTY" else ~found
    found = sa.exists(linked.where(associations.c.to_id.in_(c.values)))
    return ~found if c.op in ("NEQ", "NOT_IN") else found


def _cond(c: Cond) -> sa.ColumnElement[bool]:
    if c.kind == "assoc":
        return _associated(c)
    expr = _value_expr(c.kind, c.prop)
    raw = objects.c.props[c.prop].as_string() if c.kind != "column" else expr
    is_text = c.kind == "text"
    cmp = sa.func.lower(expr) if is_text else expr
    vals = [v.lower() if is_text and isinstance(v, str) else v for v in c.values]
    op = c.op
    if op == "HAS_PROPERTY":
        return raw.is_not(None)
    if op == "NOT_HAS_PROPERTY":
        return raw.is_(None)
    if op == "EQ":
        return cmp == vals[0]
    if op == "NEQ":
        return sa.or_(raw.is_(None), cmp != vals[0])
    if op == "LT":
        return cmp < vals[0]
    if op == "LTE":
        return cmp <= vals[0]
    if op == "GT":
        return cmp > vals[0]
    if op == "GTE":
        return cmp >= vals[0]
    if op == "BETWEEN":
        return sa.and_(cmp >= vals[0], cmp <= vals[1])
    if op == "IN":
        return cmp.in_(vals)
    if op == "NOT_IN":
        return sa.or_(raw.is_(None), cmp.not_in(vals))
    pattern = _token_pattern(str(vals[0]))
    # ILIKE on the bare value: the expression the trigram indexes hold (PostgreSQL);
    # SQLite compiles it to lower(x) LIKE lower(pattern).
    text = objects.c.props[c.prop].as_string() if c.kind != "column" else sa.cast(expr, sa.Text)
    if op == "CONTAINS_TOKEN":
        return text.ilike(pattern, escape="\\")
    return sa.or_(raw.is_(None), text.not_ilike(pattern, escape="\\"))


def _token_pattern(token: str) -> str:
    escaped = token.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "%" + escaped.replace("*", "%") + "%"


def _base(portal_id: int, object_type: str, archived: bool) -> sa.Select:
    return sa.select(objects.c.id).where(
        objects.c.portal_id == portal_id,
        objects.c.object_type == object_type,
        objects.c.archived == (sa.true() if archived else sa.false()),
    )


def _page_ids_query(archived: bool) -> sa.Select:
    return (
        sa.select(objects.c.id)
        .where(
            objects.c.portal_id == sa.bindparam("portal_id"),
            objects.c.object_type == sa.bindparam("object_type"),
            objects.c.archived == (sa.true() if archived else sa.false()),
            objects.c.id > sa.bindparam("after"),
        )
        .order_by(objects.c.id)
        .limit(sa.bindparam("limit"))
    )


# Built once: a page of a few objects costs less to read than its statement to build.
_PAGE_IDS = {archived: _page_ids_query(archived) for archived in (False, True)}

# The rows of a page of live objects, in id order (``page_ids`` of live objects, with the
# columns a default or named view is built from): the fast lane of v3 list pages
# (crm/fastread.py). Parameters: portal id, object type, the cursor id, the limit.
LIVE_PAGE_ROWS = (
    "SELECT id, props, created_at, updated_at FROM objects "
    "WHERE portal_id = ? AND object_type = ? AND archived = 0 AND id > ? ORDER BY id LIMIT ?"
)
# LIVE_PAGE_ROWS on PostgreSQL, the properties as text (as SQLite gives them, so an
# answer built before is reused alike).
LIVE_PAGE_ROWS_PG = (
    "SELECT id, props::text, created_at, updated_at FROM objects "
    "WHERE portal_id = %s AND object_type = %s AND NOT archived AND id > %s ORDER BY id LIMIT %s"
)
# A live object's row by id, as crm/fastread.py builds an answer from it: parameters
# object id, portal id, object type.
LIVE_BY_ID = (
    "SELECT props, created_at, updated_at FROM objects "
    "WHERE id = ? AND portal_id = ? AND object_type = ? AND archived = 0"
)
# LIVE_BY_ID on PostgreSQL.
LIVE_BY_ID_PG = (
    "SELECT props::text, created_at, updated_at FROM objects "
    "WHERE id = %s AND portal_id = %s AND object_type = %s AND NOT archived"
)
# LIVE_BY_ID_PG of many objects in one statement (store/pgbatch.py): keys (object id,
# portal id, object type).
LIVE_BY_IDS_PG = Batched(
    "SELECT k.n, o.props::text, o.created_at, o.updated_at "
    f"FROM {keys(id='bigint', portal='bigint', type='text')} "
    "JOIN objects o ON o.id = k.id AND o.portal_id = k.portal AND o.object_type = k.type "
    "AND NOT o.archived",
)


def page_ids(
    conn: Connection, portal_id: int, object_type: str, *, archived: bool, after: int, limit: int
) -> list[int]:
    """Ids after a cursor id, in id order, at most ``limit``."""
    rows = conn.execute(_PAGE_IDS[archived], {
        "portal_id": portal_id, "object_type": object_type, "after": after, "limit": limit,
    })
    return [r[0] for r in rows]


def search_ids(conn: Connection, q: SearchQuery) -> tuple[list[int], int]:
    """One page of matching ids in order, and the total number of matches."""
    query = _base(q.portal_id, q.object_type, False)
    if q.groups:
        query = query.where(sa.or_(*(sa.and_(*(_cond(c) for c in g)) for g in q.groups)))
    if q.text and q.text_props:
        pattern = _token_pattern(q.text)
        query = query.where(
            sa.or_(
                *(
                    objects.c.props[p].as_string().ilike(pattern, escape="\\")
                    for p in q.text_props
                )
            )
        )
    if q.sort is not None:
        expr = _value_expr(*q.sort)
        if q.sort[0] == "text":
            expr = sa.func.lower(expr)
        if q.descending:
            query = query.order_by(expr.desc().nulls_last(), objects.c.id.desc())
        else:
            query = query.order_by(expr.asc().nulls_last(), objects.c.id)
    else:
        query = query.order_by(objects.c.id)
    if not _one_pass(q):
        total = conn.execute(_count(query)).scalar_one()
        rows = conn.execute(query.offset(q.offset).limit(q.limit))
        return [r[0] for r in rows], int(total)
    # Count the matches in the pass that finds the page rather than in a second one.
    counted = query.add_columns(sa.func.count().over()).offset(q.offset).limit(q.limit)
    page = conn.execute(counted).all()
    if page:
        return [r[0] for r in page], int(page[0][1])
    return [], 0 if q.offset == 0 else int(conn.execute(_count(query)).scalar_one())


def _one_pass(q: SearchQuery) -> bool:
    """Whether the page query must read, test and sort every match anyway.

    So it is where a filter reads stored properties or associations and the
    order is not one an index can walk and stop after a page: a sort by a
    property, or a column range on another column than the sort's (one month
    created, newest change first). There a second, counting query would read
    every candidate row again. Elsewhere counting is a pass of its own (from an
    index alone without property filters), and the page stops early; counting
    in the page query would make it read and hold every match.
    """
    if not (q.text and q.text_props) and all(c.kind == "column" for g in q.groups for c in g):
        return False
    if q.sort is not None and q.sort[0] != "column":
        return True
    order = q.sort[1] if q.sort is not None else "id"
    return any(c.kind == "column" and c.prop != order for g in q.groups for c in g)


def _count(query: sa.Select) -> sa.Select:
    return sa.select(sa.func.count()).select_from(query.order_by(None).subquery())

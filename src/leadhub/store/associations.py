"""Repository of associations between CRM objects.

Each association is stored once per direction: the row from A to B with the
type id of that direction, and the row from B to A with the reverse type id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.store.schema import associations, objects
from leadhub.store.sql import insert_or_ignore


@dataclass(frozen=True)
class AssociationType:
    """One direction of an association type and its reverse."""

    type_id: int
    reverse_type_id: int
    category: str = "HUBSPOT_DEFINED"


@dataclass(frozen=True)
class AssociationRow:
    from_id: int
    from_type: str
    to_id: int
    to_type: str
    type_id: int
    category: str


def add(
    conn: Connection,
    portal_id: int,
    from_type: str,
    from_id: int,
    to_type: str,
    to_id: int,
    kind: AssociationType,
    at: int,
) -> bool:
    """Associate two objects in both directions; False if it already existed.

    Race-safe: of two transactions adding the same association at once, the
    primary key lets exactly one insert it.
    """
    common = {"portal_id": portal_id, "category": kind.category, "created_at": at}
    if not insert_or_ignore(
        conn, associations, **common, from_id=from_id, type_id=kind.type_id, to_id=to_id,
        from_type=from_type, to_type=to_type,
    ):
        return False
    insert_or_ignore(
        conn, associations, **common, from_id=to_id, type_id=kind.reverse_type_id,
        to_id=from_id, from_type=to_type, to_type=from_type,
    )
    return True


def remove(
    conn: Connection, portal_id: int, from_id: int, to_id: int, kind: AssociationType
) -> bool:
    """Remove one association type between two objects, both directions."""
    removed = _delete_one_way(conn, portal_id, from_id, to_id, kind.type_id)
    removed += _delete_one_way(conn, portal_id, to_id, from_id, kind.reverse_type_id)
    return removed > 0


# One statement per direction: SQLite's planner, which has no statistics, ran the two
# directions joined by OR as a walk of every association of the portal.
_DELETE_ONE_WAY = associations.delete().where(
    associations.c.portal_id == sa.bindparam("portal_id"),
    associations.c.from_id == sa.bindparam("from_id"),
    associations.c.to_id == sa.bindparam("to_id"),
)
_DELETE_ONE_TYPE = _DELETE_ONE_WAY.where(associations.c.type_id == sa.bindparam("type_id"))


def _delete_one_way(
    conn: Connection, portal_id: int, from_id: int, to_id: int, type_id: int | None = None
) -> int:
    params: dict[str, Any] = {"portal_id": portal_id, "from_id": from_id, "to_id": to_id}
    if type_id is None:
        return int(conn.execute(_DELETE_ONE_WAY, params).rowcount)
    return int(conn.execute(_DELETE_ONE_TYPE, {**params, "type_id": type_id}).rowcount)


def _targets_query(by_type: bool, by_to_type: bool) -> sa.Select[Any]:
    query = sa.select(associations).where(
        associations.c.portal_id == sa.bindparam("portal_id"),
        associations.c.from_id.in_(sa.bindparam("from_ids", expanding=True)),
    )
    if by_type:
        query = query.where(associations.c.type_id == sa.bindparam("type_id"))
    if by_to_type:
        query = query.where(associations.c.to_type == sa.bindparam("to_type"))
    return query


# Built once (with and without each optional filter): building the statement cost
# more than running it. They have no ORDER BY: ``targets`` sorts the rows itself. With
# SQLite's planner, which has no statistics, ``ORDER BY from_id, to_id, type_id`` for one
# object made ``ix_associations_to`` look better than the primary key (it yields that
# order with no sort), and the read walked every association of the portal.
_TARGETS = {(t, o): _targets_query(t, o) for t in (False, True) for o in (False, True)}


def targets(
    conn: Connection,
    portal_id: int,
    from_ids: list[int],
    *,
    type_id: int | None = None,
    to_type: str | None = None,
) -> list[AssociationRow]:
    """Associations leaving the given objects, optionally of one type or target type."""
    if not from_ids:
        return []
    params: dict[str, Any] = {"portal_id": portal_id, "from_ids": list(from_ids)}
    if type_id is not None:
        params["type_id"] = type_id
    if to_type is not None:
        params["to_type"] = to_type
    query = _TARGETS[(type_id is not None, to_type is not None)]
    found = [
        AssociationRow(r.from_id, r.from_type, r.to_id, r.to_type, r.type_id, r.category)
        for r in conn.execute(query, params)
    ]
    found.sort(key=_target_order)
    return found


def _target_order(row: AssociationRow) -> tuple[int, int, int]:
    return row.from_id, row.to_id, row.type_id


def _row(r: Any) -> AssociationRow:
    return AssociationRow(r.from_id, r.from_type, r.to_id, r.to_type, r.type_id, r.category)


def between(conn: Connection, portal_id: int, from_id: int, to_id: int) -> list[AssociationRow]:
    """Every association type from one object to another (one direction), by type id."""
    rows = conn.execute(
        sa.select(associations)
        .where(
            associations.c.portal_id == portal_id,
            associations.c.from_id == from_id,
            associations.c.to_id == to_id,
        )
        .order_by(associations.c.type_id)
    )
    return [_row(r) for r in rows]


def remove_pair(conn: Connection, portal_id: int, a: int, b: int) -> int:
    """Remove every association between two objects, both directions; rows removed."""
    return _delete_one_way(conn, portal_id, a, b) + _delete_one_way(conn, portal_id, b, a)


def remove_type_everywhere(conn: Connection, portal_id: int, type_ids: list[int]) -> list[int]:
    """Remove every association of these types; returns the from ids that had one."""
    if not type_ids:
        return []
    had = conn.execute(
        sa.select(associations.c.from_id)
        .where(associations.c.portal_id == portal_id, associations.c.type_id.in_(type_ids))
        .distinct()
    ).scalars().all()
    conn.execute(
        associations.delete().where(
            associations.c.portal_id == portal_id, associations.c.type_id.in_(type_ids)
        )
    )
    return list(had)


def count_of_type(conn: Connection, portal_id: int, from_id: int, type_id: int) -> int:
    """How many associations of one type leave an object."""
    return int(
        conn.execute(
            sa.select(sa.func.count()).where(
                associations.c.portal_id == portal_id,
                associations.c.from_id == from_id,
                associations.c.type_id == type_id,
            )
        ).scalar_one()
    )


def _page_query(sqlite: bool, after: bool) -> sa.Select[Any]:
    live = sa.select(objects.c.id).where(
        objects.c.portal_id == sa.bindparam("portal_id"),
        objects.c.id == associations.c.to_id,
        objects.c.archived == sa.false(),
    )
    target: sa.ColumnElement[int] = associations.c.to_id
    if sqlite:
        # Ordered and distinct by the bare column, SQLite's planner, which has no
        # statistics, walked ix_associations_to through every association of the portal
        # (it yields that order with no sort) instead of the object's own from the
        # primary key. An expression no index holds leaves it the primary key.
        target = associations.c.to_id + 0
    target = target.label("target")
    query = (
        sa.select(target)
        .where(
            associations.c.portal_id == sa.bindparam("portal_id"),
            associations.c.from_id == sa.bindparam("from_id"),
            associations.c.to_type == sa.bindparam("to_type"),
            live.exists(),
        )
        .distinct()
        .order_by(target)
        .limit(sa.bindparam("limit"))
    )
    if after:
        query = query.where(associations.c.to_id > sa.bindparam("after"))
    return query


# Built once (per dialect, with and without a cursor): building the statements cost
# more than running them.
_PAGE = {(lite, a): _page_query(lite, a) for lite in (False, True) for a in (False, True)}
_PAGE_ROWS = (
    sa.select(associations)
    .where(
        associations.c.portal_id == sa.bindparam("portal_id"),
        associations.c.from_id == sa.bindparam("from_id"),
        associations.c.to_id.in_(sa.bindparam("ids", expanding=True)),
    )
    .order_by(associations.c.to_id, associations.c.type_id)
)


def page(
    conn: Connection,
    portal_id: int,
    from_id: int,
    to_type: str,
    *,
    after: int | None,
    limit: int,
) -> tuple[dict[int, list[AssociationRow]], int | None]:
    """One page of an object's live associated objects of one type, by target id.

    Returns the rows of at most ``limit`` targets keyed by target id (in id
    order), and the last target id when more targets follow (the cursor).
    """
    params: dict[str, Any] = {
        "portal_id": portal_id, "from_id": from_id, "to_type": to_type, "limit": limit + 1,
    }
    if after is not None:
        params["after"] = after
    query = _PAGE[conn.dialect.name == "sqlite", after is not None]
    ids = list(conn.execute(query, params).scalars())
    more = len(ids) > limit
    ids = ids[:limit]
    out: dict[int, list[AssociationRow]] = {i: [] for i in ids}
    if ids:
        rows = conn.execute(
            _PAGE_ROWS, {"portal_id": portal_id, "from_id": from_id, "ids": ids}
        )
        for r in rows:
            out[r.to_id].append(_row(r))
    return out, (ids[-1] if more and ids else None)

"""Repository of associations between CRM objects.

Each association is stored once per direction: the row from A to B with the
type id of that direction, and the row from B to A with the reverse type id.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.store.schema import associations
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
    result = conn.execute(
        associations.delete().where(
            associations.c.portal_id == portal_id,
            sa.or_(
                sa.and_(
                    associations.c.from_id == from_id,
                    associations.c.to_id == to_id,
                    associations.c.type_id == kind.type_id,
                ),
                sa.and_(
                    associations.c.from_id == to_id,
                    associations.c.to_id == from_id,
                    associations.c.type_id == kind.reverse_type_id,
                ),
            ),
        )
    )
    return result.rowcount > 0


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
    query = sa.select(associations).where(
        associations.c.portal_id == portal_id, associations.c.from_id.in_(from_ids)
    )
    if type_id is not None:
        query = query.where(associations.c.type_id == type_id)
    if to_type is not None:
        query = query.where(associations.c.to_type == to_type)
    query = query.order_by(associations.c.from_id, associations.c.to_id, associations.c.type_id)
    return [
        AssociationRow(r.from_id, r.from_type, r.to_id, r.to_type, r.type_id, r.category)
        for r in conn.execute(query)
    ]

"""Repository of custom association labels (USER_DEFINED types) and association limits.

A label between two object types is stored once per direction: the row for
``from -> to`` and the row for ``to -> from``, each naming the other as its
reverse. Type ids are allocated per portal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.store.schema import association_labels, association_limits


@dataclass(frozen=True)
class LabelRow:
    """One direction of a custom association type."""

    type_id: int
    from_type: str
    to_type: str
    reverse_type_id: int
    name: str
    label: str | None


def _row(r: Any) -> LabelRow:
    return LabelRow(r.type_id, r.from_type, r.to_type, r.reverse_type_id, r.name, r.label)


# Built once: every read of an object's associations asks for its types, and building
# the statement cost more than running it.
_BETWEEN = (
    sa.select(association_labels)
    .where(
        association_labels.c.portal_id == sa.bindparam("portal_id"),
        association_labels.c.from_type == sa.bindparam("from_type"),
        association_labels.c.to_type == sa.bindparam("to_type"),
    )
    .order_by(association_labels.c.type_id)
)


def between(conn: Connection, portal_id: int, from_type: str, to_type: str) -> list[LabelRow]:
    """The custom types from one object type to another, by type id."""
    rows = conn.execute(
        _BETWEEN, {"portal_id": portal_id, "from_type": from_type, "to_type": to_type}
    )
    return [_row(r) for r in rows]


def get(conn: Connection, portal_id: int, type_id: int) -> LabelRow | None:
    """One custom type of this portal, or None."""
    r = conn.execute(
        sa.select(association_labels).where(
            association_labels.c.portal_id == portal_id,
            association_labels.c.type_id == type_id,
        )
    ).first()
    return _row(r) if r is not None else None


def used_ids(conn: Connection, portal_id: int) -> set[int]:
    """Every custom type id this portal has allocated."""
    return set(
        conn.execute(
            sa.select(association_labels.c.type_id).where(
                association_labels.c.portal_id == portal_id
            )
        ).scalars()
    )


def insert(conn: Connection, portal_id: int, rows: Iterable[LabelRow], at: int) -> None:
    """Store custom types (normally both directions of one label)."""
    conn.execute(
        association_labels.insert(),
        [
            {
                "portal_id": portal_id,
                "type_id": r.type_id,
                "from_type": r.from_type,
                "to_type": r.to_type,
                "reverse_type_id": r.reverse_type_id,
                "name": r.name,
                "label": r.label,
                "created_at": at,
            }
            for r in rows
        ],
    )


def set_label(conn: Connection, portal_id: int, type_id: int, label: str | None) -> None:
    """Rename one direction of a custom type."""
    conn.execute(
        association_labels.update()
        .where(
            association_labels.c.portal_id == portal_id,
            association_labels.c.type_id == type_id,
        )
        .values(label=label)
    )


def delete(conn: Connection, portal_id: int, type_ids: Iterable[int]) -> None:
    """Remove custom types."""
    conn.execute(
        association_labels.delete().where(
            association_labels.c.portal_id == portal_id,
            association_labels.c.type_id.in_(list(type_ids)),
        )
    )


def limits(
    conn: Connection, portal_id: int, type_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """User-enforced limits by type id (all of the portal's, or of these types)."""
    query = sa.select(association_limits).where(association_limits.c.portal_id == portal_id)
    if type_ids is not None:
        query = query.where(association_limits.c.type_id.in_(list(type_ids)))
    return {r.type_id: r.max_to_object_ids for r in conn.execute(query)}


def set_limit(conn: Connection, portal_id: int, type_id: int, most: int, at: int) -> None:
    """Create or change one type's limit."""
    where = (association_limits.c.portal_id == portal_id, association_limits.c.type_id == type_id)
    changed = conn.execute(
        association_limits.update().where(*where).values(max_to_object_ids=most, updated_at=at)
    ).rowcount
    if not changed:
        conn.execute(
            association_limits.insert().values(
                portal_id=portal_id, type_id=type_id, max_to_object_ids=most, updated_at=at
            )
        )


def delete_limits(conn: Connection, portal_id: int, type_ids: Iterable[int]) -> None:
    """Remove the limits of these types."""
    conn.execute(
        association_limits.delete().where(
            association_limits.c.portal_id == portal_id,
            association_limits.c.type_id.in_(list(type_ids)),
        )
    )

"""Bulk writes for imports: many objects, unique values, associations and history at once.

Each function issues one multi-row statement (SQLAlchemy's "insertmanyvalues"
batches them into a few round trips) instead of one statement per row; the
rows are the same ones the single-row functions in objects.py and
associations.py write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.store.associations import AssociationType
from leadhub.store.objects import Change
from leadhub.store.schema import associations, objects, property_history, unique_values
from leadhub.store.sql import json_text

# Bound parameters per statement stay below SQLite's limit of 32766.
_IN_CHUNK = 500


def _insert_rows(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows with one executemany.

    On SQLite the rows go to the driver's executemany as tuples, skipping
    SQLAlchemy's per-row parameter processing (JSON columns must already be
    text); that is most of the cost of a large import.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), rows)
        return
    names = list(rows[0])
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"VALUES ({', '.join('?' for _ in names)})"
    )
    conn.exec_driver_sql(sql, [tuple(r[n] for n in names) for r in rows])


@dataclass(frozen=True)
class NewObject:
    """One object to create: its properties and its own timestamps."""

    props: Mapping[str, str]
    created_at: int
    updated_at: int


def insert_objects(
    conn: Connection, portal_id: int, object_type: str, new: Sequence[NewObject], change: Change
) -> list[int]:
    """Create objects (and their property history); returns their ids in order."""
    if not new:
        return []
    if conn.dialect.name == "sqlite":
        # Inside the write transaction no other writer can take these ids.
        top = conn.exec_driver_sql(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'objects'), 0), "
            "coalesce((SELECT max(id) FROM objects), 0))"
        ).scalar_one()
        ids = list(range(top + 1, top + 1 + len(new)))
        _insert_rows(
            conn,
            objects,
            [
                {
                    "id": object_id,
                    "portal_id": portal_id,
                    "object_type": object_type,
                    "props": json_text(dict(o.props)),
                    "created_at": o.created_at,
                    "updated_at": o.updated_at,
                    "archived": 0,
                    "archived_at": None,
                }
                for object_id, o in zip(ids, new, strict=True)
            ],
        )
    else:
        result = conn.execute(
            objects.insert().returning(objects.c.id, sort_by_parameter_order=True),
            [
                {
                    "portal_id": portal_id,
                    "object_type": object_type,
                    "props": dict(o.props),
                    "created_at": o.created_at,
                    "updated_at": o.updated_at,
                    "archived": False,
                    "archived_at": None,
                }
                for o in new
            ],
        )
        ids = [r[0] for r in result]
    record_history(conn, portal_id, zip(ids, (o.props for o in new), strict=True), change)
    return ids


def record_history(
    conn: Connection,
    portal_id: int,
    values: Iterable[tuple[int, Mapping[str, str | None]]],
    change: Change,
) -> None:
    """Record the given (object id, property values) pairs in property history."""
    rows = [
        {
            "portal_id": portal_id,
            "object_id": object_id,
            "property": key,
            "value": value,
            "timestamp": change.timestamp,
            "source_type": change.source_type,
            "source_id": change.source_id,
        }
        for object_id, props in values
        for key, value in props.items()
    ]
    _insert_rows(conn, property_history, rows)


def claim_unique_values(
    conn: Connection, portal_id: int, object_type: str, prop: str, pairs: Sequence[tuple[str, int]]
) -> None:
    """Store (value, object id) pairs as the objects' unique values (all must be free)."""
    _insert_rows(
        conn,
        unique_values,
        [
            {
                "portal_id": portal_id,
                "object_type": object_type,
                "property": prop,
                "value": value,
                "object_id": object_id,
            }
            for value, object_id in pairs
        ],
    )


# Built once (the form worker asks for every batch).
_HOLDERS = sa.select(unique_values.c.value, unique_values.c.object_id).where(
    unique_values.c.portal_id == sa.bindparam("portal_id"),
    unique_values.c.object_type == sa.bindparam("object_type"),
    unique_values.c.property == sa.bindparam("property"),
    unique_values.c.value.in_(sa.bindparam("values", expanding=True)),
)


def holders(
    conn: Connection, portal_id: int, object_type: str, prop: str, values: Iterable[str]
) -> dict[str, int]:
    """Which of these unique values are taken, and by which object."""
    wanted = list(dict.fromkeys(values))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        rows = conn.execute(_HOLDERS, {
            "portal_id": portal_id, "object_type": object_type, "property": prop,
            "values": chunk,
        })
        found.update({r.value: r.object_id for r in rows})
    return found


def associate_many(
    conn: Connection,
    portal_id: int,
    from_type: str,
    to_type: str,
    pairs: Sequence[tuple[int, int]],
    kind: AssociationType,
    at: int,
) -> None:
    """Associate new (from id, to id) pairs in both directions (none may exist yet)."""
    if not pairs:
        return
    rows = []
    for from_id, to_id in pairs:
        rows.append(
            {
                "portal_id": portal_id, "from_id": from_id, "type_id": kind.type_id,
                "to_id": to_id, "category": kind.category, "from_type": from_type,
                "to_type": to_type, "created_at": at,
            }
        )
        rows.append(
            {
                "portal_id": portal_id, "from_id": to_id, "type_id": kind.reverse_type_id,
                "to_id": from_id, "category": kind.category, "from_type": to_type,
                "to_type": from_type, "created_at": at,
            }
        )
    _insert_rows(conn, associations, rows)

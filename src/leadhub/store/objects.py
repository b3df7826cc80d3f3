"""Repository of CRM objects and their property history (their unique values: ``uniquevalues``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.errors import ValidationError
from leadhub.store.schema import objects, property_history
from leadhub.store.sql import (
    driver_execute,
    driver_executemany,
    driver_query,
    json_text,
    json_value,
)

# HubSpot caps a text property value at 65,536 characters.
MAX_VALUE_CHARS = 65_536


@dataclass
class ObjectRow:
    """One CRM object as stored."""

    id: int
    portal_id: int
    object_type: str
    props: dict[str, str]
    created_at: int
    updated_at: int
    archived: bool
    archived_at: int | None


@dataclass(frozen=True)
class Change:
    """Who or what changed a property, recorded in its history."""

    timestamp: int
    source_type: str
    source_id: str | None = None


# The objects table's columns in the order ``object_row`` reads them.
COLUMNS = ("id", "portal_id", "object_type", "props", "created_at", "updated_at", "archived",
           "archived_at")


def object_row(r: Sequence[Any], at: int = 0) -> ObjectRow:
    """The object of a driver's row whose ``COLUMNS`` start at ``at``."""
    return ObjectRow(
        id=r[at], portal_id=r[at + 1], object_type=r[at + 2], props=json_value(r[at + 3]),
        created_at=r[at + 4], updated_at=r[at + 5], archived=bool(r[at + 6]),
        archived_at=r[at + 7],
    )


def insert(
    conn: Connection,
    portal_id: int,
    object_type: str,
    props: Mapping[str, str],
    change: Change,
    *,
    object_id: int | None = None,
) -> ObjectRow:
    """Create an object with the given non-null properties and record their history."""
    clean = {k: v for k, v in props.items() if v is not None}
    check_values(clean)
    explicit = {"id": object_id} if object_id is not None else {}
    new_id = conn.execute(
        objects.insert()
        .values(
            **explicit,
            portal_id=portal_id,
            object_type=object_type,
            props=clean,
            created_at=change.timestamp,
            updated_at=change.timestamp,
            archived=False,
            archived_at=None,
        )
        .returning(objects.c.id)
    ).scalar_one()
    if object_id is not None and conn.dialect.name == "postgresql":
        # Keep the id sequence ahead of explicitly chosen ids.
        # Never move it backwards: concurrent inserts may have drawn higher ids.
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('objects', 'id'), GREATEST(:id, "
                "COALESCE(pg_sequence_last_value(pg_get_serial_sequence('objects', 'id')), 0)))"
            ),
            {"id": new_id},
        )
    _record_history(conn, portal_id, new_id, clean, change)
    return ObjectRow(
        new_id, portal_id, object_type, clean, change.timestamp, change.timestamp, False, None
    )


def get(
    conn: Connection,
    portal_id: int,
    object_type: str,
    object_id: int,
    *,
    include_archived: bool = False,
    for_update: bool = False,
) -> ObjectRow | None:
    """One object of this portal and type, or None."""
    rows = driver_query(
        conn, _GET[include_archived, for_update and conn.dialect.name != "sqlite"],
        (object_id, portal_id, object_type),
    )
    return object_row(rows[0]) if rows else None


# On the driver's connection (``sql.driver_query``): a point read is cheap enough that
# the engine's handling of its statement would be most of it. SQLite has no FOR
# UPDATE: its write transaction already excludes every other writer.
_GET = {
    (archived, update): (
        f"SELECT {', '.join(COLUMNS)} FROM objects WHERE id = ? AND portal_id = ? "
        "AND object_type = ?" + ("" if archived else " AND NOT archived")
        + (" FOR UPDATE" if update else "")
    )
    for archived in (False, True) for update in (False, True)
}


@lru_cache(maxsize=128)
def _get_many_sql(count: int, sqlite: bool) -> str:
    """``count`` objects of a portal by id, for ``driver_query``: each by its primary
    key, not the portal's rows by an index on portal_id (``sql.unindexed``)."""
    portal = "+portal_id" if sqlite else "portal_id"
    return (f"SELECT {', '.join(COLUMNS)} FROM objects "
            f"WHERE {portal} = ? AND id IN ({', '.join('?' * count)})")


def get_many(
    conn: Connection, portal_id: int, object_ids: Iterable[int]
) -> dict[int, ObjectRow]:
    """Objects of this portal by id, archived or not, keyed by id."""
    ids = list(dict.fromkeys(object_ids))
    if not ids:
        return {}
    out: dict[int, ObjectRow] = {}
    sqlite = conn.dialect.name == "sqlite"
    # Bound parameters per statement stay well below SQLite's limit of 32766.
    for at in range(0, len(ids), 500):
        chunk = ids[at:at + 500]
        for r in driver_query(conn, _get_many_sql(len(chunk), sqlite), (portal_id, *chunk)):
            out[r[0]] = object_row(r)
    return out


def update_props(
    conn: Connection,
    row: ObjectRow,
    changes: Mapping[str, str | None],
    change: Change,
    *,
    touch: bool = True,
) -> dict[str, str | None]:
    """Apply property changes (None clears) and record history; returns what changed.

    ``row`` must have been read in this transaction (with ``for_update`` on
    PostgreSQL) so that concurrent writers cannot lose each other's changes.
    """
    changed = {k: v for k, v in changes.items() if row.props.get(k) != v}
    check_values(changed)
    if not changed and not touch:
        return {}
    for key, value in changed.items():
        if value is None:
            row.props.pop(key, None)
        else:
            row.props[key] = value
    row.updated_at = max(change.timestamp, row.updated_at)
    driver_execute(
        conn, _UPDATE_PROPS, (json_text(row.props), row.updated_at, row.id, row.portal_id))
    _record_history(conn, row.portal_id, row.id, changed, change)
    return changed


# Every write of properties runs these two statements, on the driver's connection
# (``driver_execute``): through the engine, building and processing them cost about
# four times what running them does (about 100 against 20 us for one object).
_UPDATE_PROPS = "UPDATE objects SET props = ?, updated_at = ? WHERE id = ? AND portal_id = ?"
_INSERT_HISTORY = (
    "INSERT INTO property_history "
    "(portal_id, object_id, property, value, timestamp, source_type, source_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def check_values(values: Mapping[str, str | None]) -> None:
    """Refuse values no store can hold: NUL characters, over-long text."""
    for key, value in values.items():
        if value is None:
            continue
        if "\x00" in value or "\x00" in key:
            raise ValidationError(f"the value of {key} must not contain NUL characters")
        if len(value) > MAX_VALUE_CHARS:
            raise ValidationError(
                f"the value of {key} is {len(value)} characters long; "
                f"at most {MAX_VALUE_CHARS} are allowed"
            )


def set_archived(conn: Connection, row: ObjectRow, archived: bool, at: int) -> None:
    """Archive (soft delete) or restore an object."""
    row.archived = archived
    row.archived_at = at if archived else None
    row.updated_at = max(at, row.updated_at)
    conn.execute(
        objects.update()
        .where(objects.c.id == row.id, objects.c.portal_id == row.portal_id)
        .values(archived=archived, archived_at=row.archived_at, updated_at=row.updated_at)
    )


def touch(conn: Connection, row: ObjectRow, at: int) -> None:
    """Mark an object modified without changing a property."""
    row.updated_at = max(at, row.updated_at)
    conn.execute(
        objects.update()
        .where(objects.c.id == row.id, objects.c.portal_id == row.portal_id)
        .values(updated_at=row.updated_at)
    )


def _record_history(
    conn: Connection,
    portal_id: int,
    object_id: int,
    values: Mapping[str, str | None],
    change: Change,
) -> None:
    if not values:
        return
    rows = [
        (portal_id, object_id, key, value, change.timestamp, change.source_type, change.source_id)
        for key, value in values.items()
    ]
    driver_executemany(conn, _INSERT_HISTORY, rows)


def history(
    conn: Connection, portal_id: int, object_id: int, props: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each property's history, newest first."""
    names = list(props)
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    if not names:
        return out
    rows = conn.execute(
        sa.select(property_history)
        .where(
            property_history.c.portal_id == portal_id,
            property_history.c.object_id == object_id,
            property_history.c.property.in_(names),
        )
        .order_by(property_history.c.timestamp.desc(), property_history.c.id.desc())
    )
    for r in rows:
        out[r.property].append(
            {
                "value": r.value,
                "timestamp": r.timestamp,
                "sourceType": r.source_type,
                "sourceId": r.source_id,
            }
        )
    return out


def prop_text(name: str) -> sa.ColumnElement[str]:
    """SQL for one property's value as text (used by filters, sorts and indexes)."""
    return objects.c.props[name].as_string()


def lock(conn: Connection, row: ObjectRow) -> ObjectRow:
    """Re-read an object under a row lock and refresh ``row`` in place.

    On PostgreSQL this is ``SELECT ... FOR UPDATE``: a read-modify-write of
    ``props`` after it cannot lose a concurrent writer's change. SQLite write
    transactions are serialized already (``BEGIN IMMEDIATE``).
    """
    fresh = get(
        conn, row.portal_id, row.object_type, row.id, include_archived=True, for_update=True
    )
    if fresh is not None:
        row.props, row.updated_at = fresh.props, fresh.updated_at
        row.archived, row.archived_at = fresh.archived, fresh.archived_at
    return row


def discard(conn: Connection, row: ObjectRow) -> None:
    """Delete an object created in this transaction, with its history (never seen by others)."""
    conn.execute(
        property_history.delete().where(
            property_history.c.portal_id == row.portal_id,
            property_history.c.object_id == row.id,
        )
    )
    conn.execute(
        objects.delete().where(objects.c.id == row.id, objects.c.portal_id == row.portal_id)
    )


def ids_with_value(
    conn: Connection, portal_id: int, object_type: str, prop: str, value: str
) -> list[int]:
    """Ids of live objects whose property equals ``value``, oldest first."""
    rows = conn.execute(
        sa.select(objects.c.id)
        .where(
            objects.c.portal_id == portal_id,
            objects.c.object_type == object_type,
            objects.c.archived == sa.false(),
            prop_text(prop) == value,
        )
        .order_by(objects.c.id)
    )
    return [r[0] for r in rows]

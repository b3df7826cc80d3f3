"""Repository of custom CRM property definitions and property groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.store.schema import crm_property_defs as defs
from leadhub.store.schema import crm_property_groups as groups
from leadhub.store.sql import driver_query, json_value


@dataclass
class PropertyDefRow:
    """One stored definition (a custom property, or an override of a default one)."""

    name: str
    object_type: str
    definition: dict[str, Any]
    created_at: int
    updated_at: int
    archived: bool
    archived_at: int | None


@dataclass
class GroupRow:
    """One stored property group."""

    name: str
    object_type: str
    label: str
    display_order: int
    archived: bool


# A stored definition's columns, in the order ``_def`` reads them.
_DEF_COLUMNS = (
    "name, object_type, definition, created_at, updated_at, archived, archived_at"
)


def _def(r: Any) -> PropertyDefRow:
    return PropertyDefRow(r[0], r[1], dict(json_value(r[2])), r[3], r[4], bool(r[5]), r[6])


def live_stored_names_sql(count: int) -> str:
    """SQLite text for ``fast_rows``: which of ``count`` names have a live stored definition.

    Parameters: portal id, object type, then the names.
    """
    marks = ", ".join("?" * count)
    return (
        "SELECT name FROM crm_property_defs WHERE portal_id = ? AND object_type = ? "
        f"AND archived = 0 AND name IN ({marks})"
    )


# Every v3 write and most reads of an object type look its definitions up: on the
# driver's connection (``sql.driver_query``), as the engine's handling of the
# statement cost several times running it.
_LIST_DEFS = (
    f"SELECT {_DEF_COLUMNS} FROM crm_property_defs WHERE portal_id = ? AND object_type = ? "
    "ORDER BY created_at, name"
)
_GET_DEF = (
    f"SELECT {_DEF_COLUMNS} FROM crm_property_defs WHERE portal_id = ? AND object_type = ? "
    "AND name = ?"
)


def list_defs(conn: Connection, portal_id: int, object_type: str) -> list[PropertyDefRow]:
    """Every stored definition of one object type, archived ones included."""
    return [_def(r) for r in driver_query(conn, _LIST_DEFS, (portal_id, object_type))]


def get_def(
    conn: Connection, portal_id: int, object_type: str, name: str
) -> PropertyDefRow | None:
    """One stored definition, archived or not."""
    rows = driver_query(conn, _GET_DEF, (portal_id, object_type, name))
    return _def(rows[0]) if rows else None


def save_def(conn: Connection, portal_id: int, row: PropertyDefRow) -> None:
    """Insert or replace a definition."""
    values = {
        "definition": row.definition,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "archived": row.archived,
        "archived_at": row.archived_at,
    }
    done = conn.execute(
        defs.update()
        .where(
            defs.c.portal_id == portal_id,
            defs.c.object_type == row.object_type,
            defs.c.name == row.name,
        )
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(
            defs.insert().values(
                portal_id=portal_id, object_type=row.object_type, name=row.name, **values
            )
        )


def list_groups(conn: Connection, portal_id: int, object_type: str) -> list[GroupRow]:
    """Every stored group of one object type, archived ones included."""
    rows = conn.execute(
        sa.select(groups)
        .where(groups.c.portal_id == portal_id, groups.c.object_type == object_type)
        .order_by(groups.c.display_order, groups.c.name)
    )
    return [
        GroupRow(r.name, r.object_type, r.label, r.display_order, bool(r.archived)) for r in rows
    ]


def save_group(conn: Connection, portal_id: int, row: GroupRow) -> None:
    """Insert or replace a group."""
    values = {"label": row.label, "display_order": row.display_order, "archived": row.archived}
    done = conn.execute(
        groups.update()
        .where(
            groups.c.portal_id == portal_id,
            groups.c.object_type == row.object_type,
            groups.c.name == row.name,
        )
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(
            groups.insert().values(
                portal_id=portal_id, object_type=row.object_type, name=row.name, **values
            )
        )

"""Permanent deletion of one CRM object and everything stored about it (GDPR delete)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from leadhub.store.schema import associations, objects, property_history, unique_values


def purge(conn: Connection, portal_id: int, object_type: str, object_id: int) -> None:
    """Delete the object row, its history, its unique values and its associations."""
    # One statement per side, each by its own index: joined by OR, SQLite's planner (no
    # statistics) walked every association of the portal.
    for side in (associations.c.from_id, associations.c.to_id):
        conn.execute(
            associations.delete().where(associations.c.portal_id == portal_id, side == object_id)
        )
    conn.execute(
        unique_values.delete().where(
            unique_values.c.portal_id == portal_id,
            unique_values.c.object_type == object_type,
            unique_values.c.object_id == object_id,
        )
    )
    conn.execute(
        property_history.delete().where(
            property_history.c.portal_id == portal_id, property_history.c.object_id == object_id
        )
    )
    conn.execute(
        objects.delete().where(
            objects.c.portal_id == portal_id,
            objects.c.object_type == object_type,
            objects.c.id == object_id,
        )
    )

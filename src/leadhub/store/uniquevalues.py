"""Repository of unique property values: which object holds each (``unique_values``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from leadhub.errors import ValidationError
from leadhub.store.objects import ObjectRow
from leadhub.store.schema import unique_values
from leadhub.store.sql import driver_query, insert_or_ignore

# Unique values are index keys; PostgreSQL's btree takes at most ~2.7 kB per key.
MAX_UNIQUE_VALUE_BYTES = 1_000


def claim_unique(
    conn: Connection, portal_id: int, object_type: str, prop: str, value: str, object_id: int
) -> int:
    """Claim a unique value for an object; returns the id that holds it (maybe another).

    The ``unique_values`` primary key decides: of several transactions
    claiming one value at once, exactly one inserts its row; the others wait
    for it to commit and then read the winner's id.
    """
    key = {"portal_id": portal_id, "object_type": object_type, "property": prop, "value": value}
    for _ in range(3):
        if insert_or_ignore(conn, unique_values, **key, object_id=object_id):
            return object_id
        held = find_unique(conn, portal_id, object_type, prop, value)
        if held is not None:
            return held
        # The holder released the value between our insert and our read: try again.
    raise RuntimeError(f"could not claim {object_type}.{prop}={value!r}")


def release_unique(
    conn: Connection, portal_id: int, object_type: str, prop: str, object_id: int
) -> None:
    """Release whatever value of this property the object holds."""
    conn.execute(
        unique_values.delete().where(
            unique_values.c.portal_id == portal_id,
            unique_values.c.object_type == object_type,
            unique_values.c.property == prop,
            unique_values.c.object_id == object_id,
        )
    )


# On the driver's connection (``sql.driver_query``): every write by guid or email and
# every v3 read by ``idProperty`` looks one up.
FIND_UNIQUE = (
    "SELECT object_id FROM unique_values "
    "WHERE portal_id = ? AND object_type = ? AND property = ? AND value = ?"
)


def find_unique(
    conn: Connection, portal_id: int, object_type: str, prop: str, value: str
) -> int | None:
    """The id of the object holding a unique value, or None."""
    rows = driver_query(conn, FIND_UNIQUE, (portal_id, object_type, prop, value))
    return rows[0][0] if rows else None


def set_unique(
    conn: Connection, row: ObjectRow, prop: str, value: str | None
) -> int | None:
    """Make ``value`` the object's unique value of ``prop`` (None releases it).

    Returns the id of another object already holding the value, or None on
    success. When another object wins a race for the value, this object's
    old value is already released: the caller must fail its transaction.
    """
    if value is not None:
        if len(value.encode()) > MAX_UNIQUE_VALUE_BYTES:
            raise ValidationError(
                f"the value of {prop} is too long for a unique property "
                f"(at most {MAX_UNIQUE_VALUE_BYTES} bytes)"
            )
        holder = find_unique(conn, row.portal_id, row.object_type, prop, value)
        if holder is not None and holder != row.id:
            return holder
        if holder == row.id:
            return None
    release_unique(conn, row.portal_id, row.object_type, prop, row.id)
    if value is not None:
        holder = claim_unique(conn, row.portal_id, row.object_type, prop, value, row.id)
        if holder != row.id:
            return holder
    return None

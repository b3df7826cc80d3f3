"""SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert_or_ignore(conn: Connection, table: sa.Table, **values: Any) -> bool:
    """Insert one row unless it clashes with a unique key; True if it was inserted.

    ``INSERT ... ON CONFLICT DO NOTHING`` lets the database decide who wins
    when transactions race for one key: under PostgreSQL's READ COMMITTED the
    loser waits for the winner's commit and then inserts nothing, where a
    check-then-insert would fail with a unique violation (or, without a key,
    store the row twice).
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**values).on_conflict_do_nothing()
    # RETURNING answers a row only when one was inserted (rowcount is not reliable here).
    key = next(iter(table.primary_key.columns))
    return conn.execute(stmt.returning(key)).first() is not None

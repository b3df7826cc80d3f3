"""SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


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


class unindexed(FunctionElement[Any]):  # noqa: N801 (SQL function style)
    """A column that SQLite must not look up by index (``+col``); itself elsewhere.

    Without statistics SQLite's planner may serve ``portal_id = ? AND id IN
    (...)`` from an index on ``portal_id`` (every row of the portal) instead of
    looking each id up by its primary key; ``+`` takes that term out of the choice.
    """

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: sa.ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(next(iter(element.clauses)), **kw)

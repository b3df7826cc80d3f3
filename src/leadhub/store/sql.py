"""SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# Text that is a number: what ``number_value`` accepts, and only that.
NUMBER_RE = r"^-?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"


@lru_cache(maxsize=256)
def pyformat(sql: str) -> str:
    """SQL written with ``?`` placeholders (sqlite3's) in psycopg's ``%s`` style."""
    return sql.replace("%", "%%").replace("?", "%s")


# The statements every write or read runs go to the driver's connection that the
# transaction is on, sqlite3's or psycopg's, as SQL text with ``?`` placeholders:
# the engine's building and processing of a statement cost several times what the
# database takes to run it. Their errors are raised as the engine raises them
# (``driver_error``), so that ``db.is_unavailable`` and the retries of clashes
# read them the same way.


def driver_query(conn: Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    """The rows of a query run on the driver's connection of ``conn``'s transaction."""
    raw: Any = conn.connection.driver_connection
    try:
        if conn.dialect.name == "sqlite":
            return raw.execute(sql, params).fetchall()
        return raw.execute(pyformat(sql), params).fetchall()
    except conn.dialect.loaded_dbapi.Error as exc:
        raise driver_error(conn, sql, params, exc) from exc


def driver_execute(conn: Connection, sql: str, params: Sequence[Any]) -> None:
    """A statement without rows run on the driver's connection of ``conn``'s
    transaction."""
    raw: Any = conn.connection.driver_connection
    try:
        raw.execute(sql if conn.dialect.name == "sqlite" else pyformat(sql), params)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise driver_error(conn, sql, params, exc) from exc


def driver_executemany(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """``driver_execute`` for many rows of parameters."""
    raw: Any = conn.connection.driver_connection
    try:
        if conn.dialect.name == "sqlite":
            raw.executemany(sql, rows)
            return
        with raw.cursor() as cur:
            cur.executemany(pyformat(sql), rows)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise driver_error(conn, sql, rows, exc) from exc


def driver_error(
    conn: Connection, sql: str, params: Any, exc: Any
) -> sa.exc.StatementError:
    """A driver's error as the engine would have raised it: IntegrityError,
    OperationalError, ... with the driver's error as ``orig``, and the connection marked
    invalidated when the dialect reads the error as a lost connection."""
    dialect = conn.dialect
    lost = dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
    return sa.exc.DBAPIError.instance(
        sql, params, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost)


def json_text(value: Any) -> str:
    """A JSON column's stored text: what the engine writes, and what writes that bypass
    it (bulk inserts, the form group commit, property updates) must write too."""
    return orjson.dumps(value).decode()


def json_value(value: Any) -> Any:
    """A JSON column's value as a driver returns it: SQLite gives its text, psycopg the
    value it decoded."""
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


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


class number_value(FunctionElement[float]):  # noqa: N801 (SQL function style)
    """A text expression's value as a float, or NULL where the text is not a number.

    A number is text matching ``NUMBER_RE`` in full (leading or trailing
    spaces, ``+5``, ``0x10``, ``Infinity`` and ``NaN`` are not); its value is
    the nearest double, as Python's ``float()`` gives it (beyond the double
    range: infinity, or zero; SQLite's own conversion may differ from it in the
    last place). The test is native SQL on each store: on SQLite a REGEXP would
    be a Python call for every row a filter or sort looks at.
    """

    type = sa.Float()
    inherit_cache = True
    name = "number_value"


@compiles(number_value, "sqlite")
def _number_value_sqlite(element: number_value, compiler: SQLCompiler, **kw: Any) -> str:
    x = compiler.process(next(iter(element.clauses)), **kw)
    # Digits with at most one dot, from the first character: most stored numbers.
    plain = f"{x} GLOB '[0-9]*' AND {x} NOT GLOB '?*[^0-9.]*' AND {x} NOT GLOB '*.*.*'"
    # NUMBER_RE as GLOBs, each ruling out one way to differ from it.
    full = " AND ".join((
        f"{x} NOT GLOB '*[^0-9.eE+-]*'",  # only the characters of numbers
        f"ltrim({x}, '-.') GLOB '[0-9]*'",  # no '+' first; a digit before any exponent
        f"{x} GLOB '*[0-9.]'",  # ends in the mantissa's dot or a digit: no empty exponent
        f"{x} NOT GLOB '*[^eE][+-]*'",  # a sign is first or just after the e
        f"{x} NOT GLOB '*[.eE]*.*'",  # one dot at most, none in the exponent
        f"{x} NOT GLOB '*[eE]*[eE]*'",  # one exponent at most
    ))
    # CAST of number text to REAL rounds to the nearest double, out of range to
    # infinity or zero; the text holds no NUL (no store can: see leadhub/guard.py).
    return f"CASE WHEN ({plain}) OR ({full}) THEN CAST({x} AS REAL) END"


def _digits(value: int) -> str:
    return str(value).rstrip("0")


# The doubles' range in decimal: the significant digits of the midpoint between
# the largest double and 2**1024 (10**308 <= it < 10**309; it and above round to
# infinity), and of half the smallest double, 2**-1075 (10**-324 <= it < 10**-323;
# it and below round to zero).
_OVERFLOW_DIGITS = _digits(2**1024 - 2**970)
_UNDERFLOW_DIGITS = _digits(5**1075)


@compiles(number_value, "postgresql")
def _number_value_postgresql(element: number_value, compiler: SQLCompiler, **kw: Any) -> str:
    x = compiler.process(next(iter(element.clauses)), **kw)
    # Up to 200 characters and a two-digit exponent the value is within 1e-298 .. 1e298,
    # where the cast cannot fail. Beyond, the cast raises where a double overflows
    # or underflows, so the digits decide those.
    fast = NUMBER_RE.replace("[0-9]+)?$", "[0-9]{1,2})?$")
    return (
        f"CASE WHEN length({x}) <= 200 AND {x} ~ '{fast}' THEN CAST({x} AS FLOAT) "
        f"WHEN {x} ~ '{NUMBER_RE}' THEN {_RARE_NUMBER.format(x=x)} END"
    )


# The value of number text that may lie beyond the doubles' range: t the text,
# m and e its mantissa and exponent, d the mantissa's digits, s the significant
# ones, p the power of ten of the first of them.
_RARE_NUMBER = (
    "(SELECT CASE WHEN s = '' THEN 0::float8 "
    f"WHEN p > 308 OR (p = 308 AND s >= '{_OVERFLOW_DIGITS}') "
    "THEN (CASE WHEN left(t, 1) = '-' THEN -1 ELSE 1 END) * 'Infinity'::float8 "
    f"WHEN p < -324 OR (p = -324 AND s <= '{_UNDERFLOW_DIGITS}') THEN 0::float8 "
    "ELSE CAST(t AS FLOAT) END "
    "FROM (SELECT t, rtrim(ltrim(d, '0'), '0') COLLATE \"C\" AS s, "
    "length(split_part(m, '.', 1)) - 1 - length(d) + length(ltrim(d, '0')) "
    "+ coalesce(nullif(e, '')::numeric, 0) AS p "
    "FROM (SELECT t, m, e, replace(m, '.', '') AS d "
    "FROM (SELECT t, split_part(lower(ltrim(t, '-')), 'e', 1) AS m, "
    "split_part(lower(ltrim(t, '-')), 'e', 2) AS e "
    "FROM (SELECT {x} AS t) AS n0) AS n1) AS n2) AS n3)"
)


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

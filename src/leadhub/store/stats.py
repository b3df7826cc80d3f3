"""Planner statistics on PostgreSQL, kept current through bulk writes.

PostgreSQL plans each statement from the statistics ``ANALYZE`` gathers, and
usually autovacuum gathers them as tables grow. Where autovacuum is off, or
has not yet come round (it looks once a minute), a table filled by an
import or by the form worker keeps the statistics of when it was small or
empty, and the planner chooses as if it still were: looking up which
emails already belong to a contact, it walked every unique value of the
portal's contacts through an index on the first three columns of four and
filtered on the fourth, for each batch, so an import's time grew with the
square of its rows (100,000 leads: 306 s, against 42 s for a plain
executemany of the same rows).

``Statistics.after_writes`` is called by the writers that change many rows
(``leadhub import``, the form worker) after their commits. At most once per
``INTERVAL_S`` it compares each table's size on disk now with its size at
its last analysis (``pg_class.relpages``, which ``ANALYZE`` and ``VACUUM``
set) and analyzes the tables that more than doubled since (past
``LEAST_PAGES``): a table growing from empty is analyzed each time it
doubles, which keeps the plans right at a cost that is a small part of the
writes. The size of a table's file is read as it is at that moment, unlike
the statistics system's counts of changed rows, which each connection
reports up to a second or more late. Where autovacuum keeps up, nothing
passes the threshold and nothing is done. SQLite plans without gathered
statistics (its planner's rules, helped where needed by the SQL itself),
so this does nothing there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("leadhub")

# Seconds between two looks at the tables' sizes.
INTERVAL_S = 1.0
# A table is analyzed once its pages exceed LEAST_PAGES plus GROWTH times its pages at
# its last analysis.
LEAST_PAGES = 16
GROWTH = 2.0

# Plain tables of the current schema; relpages is 0 for a table never analyzed or vacuumed.
_STALE = sa.text(
    "SELECT n.nspname, c.relname FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
    "AND pg_relation_size(c.oid) / current_setting('block_size')::int "
    "> :least + :growth * c.relpages "
    "ORDER BY c.relname"
)


def stale_tables(
    conn: Connection, least: int = LEAST_PAGES, growth: float = GROWTH
) -> list[str]:
    """The tables of the current schema grown past ``least`` pages plus ``growth`` times
    their pages at their last analysis, as quoted names."""
    quote = conn.dialect.identifier_preparer.quote
    rows = conn.execute(_STALE, {"least": least, "growth": growth})
    return [f"{quote(schema)}.{quote(name)}" for schema, name in rows]


def analyze(conn: Connection, tables: list[str]) -> None:
    """``ANALYZE`` these tables (names as ``stale_tables`` gives them)."""
    for table in tables:
        conn.exec_driver_sql(f"ANALYZE {table}")


class Statistics:
    """Analyzes, on PostgreSQL, the tables that grew much since their last analysis."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = engine.dialect.name == "postgresql"
        self._engine = engine
        self._clock = clock
        self._next = 0.0
        self._guard = threading.Lock()

    def after_writes(self, *, now: bool = False) -> list[str]:
        """Analyze the tables grown past the threshold, if the last look was
        ``INTERVAL_S`` ago or more (``now``: whenever); returns the tables analyzed.

        A failure is logged and passes: statistics make plans better, never answers
        different, and the next look tries again.
        """
        if not self.enabled:
            return []
        at = self._clock()
        with self._guard:
            if not now and at < self._next:
                return []
            self._next = at + INTERVAL_S
        try:
            with self._engine.begin() as conn:
                tables = stale_tables(conn)
                analyze(conn, tables)
        except sa.exc.SQLAlchemyError:
            log.warning("could not refresh the planner's statistics", exc_info=True)
            return []
        if tables:
            log.debug("analyzed %s", ", ".join(tables))
        return tables


__all__ = ["INTERVAL_S", "LEAST_PAGES", "GROWTH", "Statistics", "analyze", "stale_tables"]

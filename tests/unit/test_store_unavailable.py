"""Which database errors mean "the store is unavailable, retry later" (503), and which do not."""

from __future__ import annotations

import sqlite3

import psycopg
import sqlalchemy as sa

from leadhub.store.db import is_unavailable


def _pg_error(sqlstate: str | None) -> Exception:
    if sqlstate is None:  # a failure to connect at all
        return psycopg.OperationalError("connection failed: Connection refused")
    return psycopg.errors.lookup(sqlstate)("server says no")


def _wrapped(orig: Exception) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, orig)


def test_a_stopped_or_restarting_postgresql_is_unavailable() -> None:
    for state in (None, "08006", "57P01", "57P03", "53300"):
        assert is_unavailable(_wrapped(_pg_error(state))), state


def test_deadlocks_and_serialization_failures_are_not_an_outage() -> None:
    for state in ("40P01", "40001"):
        assert not is_unavailable(_wrapped(_pg_error(state))), state


def test_a_busy_sqlite_file_is_unavailable_but_a_wrong_statement_is_not() -> None:
    assert is_unavailable(_wrapped(sqlite3.OperationalError("database is locked")))
    assert not is_unavailable(_wrapped(sqlite3.OperationalError("no such table: leads")))


def test_errors_that_are_not_from_the_database_are_not_an_outage() -> None:
    assert not is_unavailable(ValueError("bad"))
    assert not is_unavailable(sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key")))

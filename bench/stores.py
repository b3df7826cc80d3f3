"""The stores a run measures: a SQLite file, or a PostgreSQL database of its own.

The plain-SQL baselines are written once, in SQLite's dialect with ``?`` or
``:name`` parameters; ``connect`` gives a DB-API connection (sqlite3 or
psycopg) and ``sql`` turns a statement into that connection's dialect.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any

KINDS = ("sqlite", "postgresql")
# The PostgreSQL server the run creates its databases on (and drops them from).
POSTGRES_ENV = "LEADHUB_BENCH_POSTGRES"
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
PREFIX = "leadhub_bench_"


def postgres_admin() -> str:
    """The URL of the maintenance database on the benchmark's PostgreSQL server."""
    return os.environ.get(POSTGRES_ENV, POSTGRES_DEFAULT)


def pg_url(name: str) -> str:
    """The URL of database ``name`` on the benchmark's server."""
    base = postgres_admin()
    return base[: base.rindex("/") + 1] + name


def create(kind: str, work: Path, name: str) -> str:
    """A new empty store called ``name`` (any old one of that name removed); its URL."""
    if kind == "sqlite":
        path = work / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    # The process id keeps concurrent runs on one server out of each other's way.
    db_name = f"{PREFIX}{os.getpid()}_{name.replace('-', '_')}"
    drop(pg_url(db_name))
    _admin(f'CREATE DATABASE "{db_name}"')
    return pg_url(db_name)


def drop(url: str) -> None:
    """Remove a store made by ``create``."""
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url[len('sqlite:///'):]}{suffix}").unlink(missing_ok=True)
        return
    name = url.rsplit("/", 1)[1]
    assert name.startswith(PREFIX), name  # only ever the benchmark's own databases
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(postgres_admin(), autocommit=True) as con:
        con.execute(statement)  # type: ignore[arg-type]


def connect(url: str, *, readonly: bool = False) -> Any:
    """A DB-API connection to a store, committing only when told to."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if readonly:
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        return con
    import psycopg

    return psycopg.connect(url, autocommit=True)


def is_pg(con: Any) -> bool:
    """Whether a connection from ``connect`` is PostgreSQL's."""
    return not isinstance(con, sqlite3.Connection)


_JSON = re.compile(r"json_extract\(([\w.]+), '\$\.(\w+)'\)")
_NAMED = re.compile(r"(?<!:):(\w+)")


def sql(con: Any, statement: str) -> str:
    """``statement`` in the dialect and parameter style of ``con``."""
    if not is_pg(con):
        return statement
    out = _JSON.sub(r"(\1->>'\2')", statement)
    out = out.replace("archived = 0", "archived = false").replace("BEGIN IMMEDIATE", "BEGIN")
    out = _NAMED.sub(r"%(\1)s", out)
    return out.replace("?", "%s")

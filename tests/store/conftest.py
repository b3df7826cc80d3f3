"""Fixtures of the tests of what PostgreSQL's snapshot says (store/pgbatch.py kept
answers, store/pglook.py looks), on a server of each module's own: no other test's
commit moves the snapshot (tests/conftest.py ``quiet_pg_url``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from leadhub.store.pgbatch import BatchReads
from leadhub.store.pgpoint import conninfo


@pytest.fixture
def url(quiet_pg_url: str) -> sa.URL:
    """The quiet database (a module may define its own ``url``)."""
    return sa.make_url(quiet_pg_url)


@pytest.fixture
def batch(url: sa.URL) -> Iterator[BatchReads]:
    batch = BatchReads(url)
    yield batch
    batch.close()


@pytest.fixture
def other(url: sa.URL) -> Iterator[psycopg.Connection[Any]]:
    """Another connection to the store, in autocommit: another process's writes."""
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS scratch (k int PRIMARY KEY, v text)")
        conn.execute("CREATE TABLE IF NOT EXISTS elsewhere (k int)")
        conn.execute(
            "INSERT INTO scratch VALUES (1, 'one') ON CONFLICT (k) DO UPDATE SET v = 'one'")
        yield conn

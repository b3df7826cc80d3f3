"""Helpers for the reliability suite: leads made in the store, whole-portal snapshots,
what the ingest made of a portal's posts, and ``leadhub worker`` processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from leadhub.leads import service
from leadhub.store import Database
from leadhub.store import queue as queue_store
from leadhub.store.objects import Change
from leadhub.store.schema import associations as a
from leadhub.store.schema import conversion_events as ce
from leadhub.store.schema import metadata, submissions
from leadhub.store.schema import objects as o
from leadhub.util import now_ms
from tests.conftest import _python_path
from tests.ingest.helpers import wait_until


def make_lead(db: Database, portal_id: int, **fields: Any) -> str:
    """Create a v1 lead (and its contact) straight in the store; returns its guid."""
    values = {"firstName": "Ada", "lastName": "Lovelace", **fields}
    view = db.write_call(service.create, portal_id, values, Change(now_ms(), "API", "test"))
    return view.guid


# Tables that only hold copies of other rows (a read may fill them).
CACHES = frozenset({"lead_documents"})


def snapshot(db: Database, portal_id: int | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (of one portal, when given), sorted: equal means unchanged."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.read() as conn:
        for table in metadata.sorted_tables:
            if table.name in CACHES:
                continue
            query = sa.select(table)
            if portal_id is not None:
                key = "id" if table.name == "portals" else "portal_id"
                if key not in table.c:
                    continue
                query = query.where(table.c[key] == portal_id)
            rows = [tuple(repr(v) for v in r) for r in conn.execute(query)]
            out[table.name] = sorted(rows)
    return out


def event_guids(db: Database, portal_id: int) -> set[str]:
    """Guids of the portal's conversion events."""
    with db.read() as conn:
        rows = conn.execute(sa.select(ce.c.guid).where(ce.c.portal_id == portal_id))
        return {r[0] for r in rows}


def leads_per_email(db: Database, portal_id: int) -> dict[str, int]:
    """Email (lower case) -> number of leads of the portal's contacts with that email."""
    with db.read() as conn:
        rows = conn.execute(
            sa.select(o.c.props, sa.func.count(a.c.to_id))
            .select_from(o.join(a, sa.and_(a.c.portal_id == o.c.portal_id,
                                           a.c.from_id == o.c.id, a.c.type_id == 579)))
            .where(o.c.portal_id == portal_id, o.c.object_type == "0-1",
                   o.c.archived == sa.false())
            .group_by(o.c.id, o.c.props)
        )
        out: dict[str, int] = {}
        for props, leads in rows:
            email = (props or {}).get("email", "").lower()
            out[email] = out.get(email, 0) + leads
        return out


def submission_guids(db: Database, portal_id: int) -> set[str]:
    """Guids of every submission the portal's queue holds (acknowledged or not)."""
    with db.read() as conn:
        rows = conn.execute(
            sa.select(submissions.c.guid).where(submissions.c.portal_id == portal_id)
        )
        return {r[0] for r in rows}


def queue_counts(db: Database, portal_id: int) -> dict[str, int]:
    """Submissions of the portal per status."""
    with db.read() as conn:
        counts, _ = queue_store.status_counts(conn, submissions, "received_at", portal_id)
    return dict(counts)


class WorkerProcess:
    """A ``leadhub worker`` process, started and waited for until it runs."""

    def __init__(
        self, url: str, public_url: str, log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "leadhub", "worker", "--database-url", url,
             "--public-url", public_url, "--no-callbacks", "--poll-seconds", "0.05"],
            stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": _python_path(), "PYTHONUNBUFFERED": "1",
                 **(env or {})},
        )
        wait_until(lambda: self.proc.poll() is not None or "processing the form queue"
                   in self.log(), timeout=120, what="the worker to start")
        assert self.proc.poll() is None, self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown, the batch in hand is cut off."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._log.close()


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")

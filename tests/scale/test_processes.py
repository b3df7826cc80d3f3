"""Several API processes and several worker processes on one store.

A burst of form posts for overlapping emails goes through a ``serve
--workers 2`` server into the queue, drained by ``worker --concurrency 3``;
one worker process is SIGKILLed while it holds leased submissions. Every
acknowledged submission must become exactly one conversion event, every
email exactly one lead, and the killed worker's submissions must be finished
by another worker after their lease ran out.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from leadhub.store import Database
from leadhub.store.schema import conversion_events, objects, submissions, unique_values
from tests.conftest import Server, _python_path, make_portal, start_server
from tests.ingest.helpers import make_form, submission_guid, wait_until

EMAILS = 15
POSTS = 60
LEASE_S = 2


@pytest.fixture(scope="module")
def multi_server(db: Database, store_url: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[Server]:
    """``serve --workers 2`` without embedded workers: the queue is left to ``leadhub worker``."""
    srv = start_server(store_url, tmp_path_factory.mktemp("multi"), "--workers", "2",
                       "--no-worker")
    yield srv
    srv.stop()


class Workers:
    """A running ``leadhub worker --concurrency N`` and the pids of its processes."""

    def __init__(self, server: Server, log_dir: Path, count: int) -> None:
        self.log_path = log_dir / "workers.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "leadhub", "worker", "--concurrency", str(count),
             "--database-url", server.database_url, "--public-url", server.url,
             "--lease-seconds", str(LEASE_S), "--poll-seconds", "0.05", "--batch", "10",
             "--no-callbacks"],
            stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": _python_path()},
        )
        wait_until(lambda: len(self.pids()) == count, what="worker processes")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self) -> list[int]:
        """Pids of the current worker processes, one per slot."""
        slots = dict(re.findall(r"worker process (\d+) started: pid (\d+)", self.log()))
        return [int(pid) for pid in slots.values()]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self._log.close()


def test_api_processes_share_the_port(multi_server: Server) -> None:
    pids = set()
    for _ in range(400):
        pids.add(httpx.get(f"{multi_server.url}/healthz").json()["pid"])
        if len(pids) == 2:
            break
    assert len(pids) == 2
    assert multi_server.proc.pid not in pids


def _held_by(db: Database, pid: int) -> list[str]:
    """Guids of submissions leased to the worker with this pid right now."""
    return db.read_call(
        lambda conn: conn.execute(
            sa.select(submissions.c.guid).where(
                submissions.c.status == "processing",
                submissions.c.claimed_by.like(f"%:{pid}:%"),
            )
        ).scalars().all()
    )


def _kill_holding(db: Database, pid: int) -> list[str]:
    """SIGKILL the worker at a moment it holds leased submissions; returns their guids.

    The worker is frozen (SIGSTOP) while we look, so what we see is what it
    holds when it dies. An empty list: it held nothing, it runs on.
    """
    os.kill(pid, signal.SIGSTOP)
    held = _held_by(db, pid)
    if held:
        os.kill(pid, signal.SIGKILL)
    else:
        os.kill(pid, signal.SIGCONT)
    return held


def test_burst_with_a_killed_worker_makes_one_lead_per_email(
    db: Database, multi_server: Server, tmp_path: Path
) -> None:
    portal = make_portal(db, multi_server, "Burst")
    url = make_form(db, portal, "burst")
    workers = Workers(multi_server, tmp_path, 3)
    try:
        victim = workers.pids()[0]
        emails = [f"person{i}@example.com" for i in range(EMAILS)]

        def post(i: int) -> tuple[str, str]:
            email = emails[i % EMAILS]
            sent = [email, email.upper(), f"  {email.capitalize()} "][i % 3]
            r = httpx.post(url, data={"Email": sent, "IPAddress": "10.0.0.1",
                                      "UserToken": f"utk-{i}", "FirstName": f"F{i}"},
                           timeout=60)
            assert r.status_code == 200, r.text
            return email, submission_guid(r.text)

        acked: list[tuple[str, str]] = []
        held: list[str] = []
        with ThreadPoolExecutor(12) as pool:
            for burst in range(6):
                futures = [pool.submit(post, burst * POSTS + i) for i in range(POSTS)]
                while not held and not all(f.done() for f in futures):
                    held = _kill_holding(db, victim)
                    time.sleep(0.005)
                acked += [f.result() for f in futures]
                if held:
                    break
        assert held, "the victim never held a submission during the bursts"

        guids = [g for _, g in acked]

        def all_done() -> bool:
            return db.read_call(
                lambda conn: conn.execute(
                    sa.select(sa.func.count()).where(
                        submissions.c.guid.in_(guids), submissions.c.status == "done"
                    )
                ).scalar_one()
            ) == len(guids)

        try:
            wait_until(all_done, timeout=120, what="every submission processed")
        except AssertionError:
            states = db.read_call(
                lambda conn: conn.execute(
                    sa.select(submissions.c.status, submissions.c.attempts,
                              submissions.c.claimed_by, submissions.c.last_error)
                    .where(submissions.c.guid.in_(guids), submissions.c.status != "done")
                ).all()
            )
            raise AssertionError(f"not done: {states}\n{workers.log()[-3000:]}") from None
    finally:
        workers.stop()

    assert re.search(rf"\(pid {victim}\) exited with -9; restarting", workers.log())

    def facts(conn: sa.Connection) -> dict[str, object]:
        pid = portal.id
        return {
            "events": Counter(conn.execute(
                sa.select(conversion_events.c.guid).where(conversion_events.c.portal_id == pid)
            ).scalars()),
            "emails": conn.execute(
                sa.select(unique_values.c.value).where(
                    unique_values.c.portal_id == pid, unique_values.c.property == "email"
                )
            ).scalars().all(),
            "leads": conn.execute(
                sa.select(sa.func.count()).where(
                    objects.c.portal_id == pid, objects.c.object_type == "0-136"
                )
            ).scalar_one(),
            "held": conn.execute(
                sa.select(submissions.c.status, submissions.c.attempts).where(
                    submissions.c.guid.in_(held)
                )
            ).all(),
        }

    got = db.read_call(facts)
    assert got["events"] == Counter(guids)  # every acknowledged submission, once
    assert sorted(got["emails"]) == sorted(emails)
    assert got["leads"] == EMAILS
    # The killed worker's submissions were claimed again and finished by another.
    assert all(status == "done" and attempts >= 2 for status, attempts in got["held"])

    per_email = Counter(email for email, _ in acked)
    with portal.client() as client:
        for email in emails[:5]:
            lead = client.get("/leads/v1/lead/", params={"email": email}).json()[0]
            assert lead["numConversionEvents"] == per_email[email]
            assert sorted(e["guid"] for e in lead["leadConversionEvents"]) == sorted(
                g for e, g in acked if e == email
            )

"""Crash safety of ingest: SIGKILL leadhub's processes during a burst of posts.

Two deployments: ``serve`` with its embedded worker (the process killed is
API and worker together), and ``serve --no-worker`` beside a separate
``leadhub worker`` (the API process, the worker process, or both are killed,
each at random moments, and restarted). Every submission a client got a
guid for becomes exactly one conversion event, every stored submission is
one event and no event comes from nowhere, and each email is one lead per
portal, however often the processes die. ``make soak`` runs the long
version (LEADHUB_SOAK=1: more posts, more kills).
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from leadhub.ingest import service as ingest_service
from tests.conftest import Server, make_portal, start_server
from tests.ingest.helpers import wait_until, wait_while_progressing
from tests.reliability.helpers import (
    WorkerProcess,
    event_guids,
    leads_per_email,
    queue_counts,
    submission_guids,
)

SOAK = os.environ.get("LEADHUB_SOAK") == "1"
POSTS = 3000 if SOAK else 240
KILLS = 12 if SOAK else 3
EMAILS = 400 if SOAK else 40  # repeated emails: most posts hit an existing lead


class Deployment:
    """The leadhub processes under test, killed and restarted by the test."""

    def __init__(self, store_url: str, log_dir: Path, separate_worker: bool) -> None:
        self.store_url = store_url
        self.log_dir = log_dir
        self.separate_worker = separate_worker
        self.server = self._serve()
        self.worker: WorkerProcess | None = None
        self._workers = itertools.count()
        if separate_worker:
            self.start_worker()

    def _serve(self) -> Server:
        # Generous deadlines: a busy machine may start a process slowly.
        return start_server(self.store_url, self.log_dir,
                            *(["--no-worker"] if self.separate_worker else []), timeout=120)

    def start_worker(self) -> None:
        self.worker = WorkerProcess(self.store_url, self.server.url,
                                    self.log_dir / f"worker-{next(self._workers)}.log")

    def kill_api(self) -> None:
        """SIGKILL the API process (with its embedded worker, if any) and start a new one."""
        self.server.proc.kill()  # no shutdown, no flush
        self.server.proc.wait()
        self.server.stop()
        self.server = self._serve()

    def kill_worker(self) -> None:
        """SIGKILL the worker process and start a new one."""
        assert self.worker is not None
        self.worker.kill()
        self.start_worker()

    def stop(self) -> None:
        self.server.stop()
        if self.worker is not None:
            self.worker.kill()


@pytest.mark.parametrize("deployment", ["embedded-worker", "separate-worker"])
def test_acknowledged_posts_survive_sigkill_exactly_once(db, store_url, tmp_path, deployment):
    procs = Deployment(store_url, tmp_path, separate_worker=deployment == "separate-worker")
    portal = make_portal(db, procs.server, "Crash")
    db.write_call(ingest_service.create_form, portal.id, "Crash")
    rng = random.Random(7)
    acked: dict[str, str] = {}  # submission guid -> email
    lock = threading.Lock()
    next_post = iter(range(POSTS))

    def poster() -> None:
        with httpx.Client(timeout=10) as c:
            for i in next_post:
                email = f"p{i % EMAILS}@Example.com" if i % 3 else f"unique{i}@example.com"
                data = {"Email": email, "UserToken": f"t{i}", "IPAddress": "127.0.0.1",
                        "FirstName": f"N{i}"}
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:  # retry across restarts; no answer, no ack
                    try:
                        r = c.post(f"{procs.server.url}/?app=leaddirector&FormName=Crash"
                                   f"&portalId={portal.id}", data=data)
                    except httpx.HTTPError:
                        time.sleep(0.05)
                        continue
                    if r.status_code == 200:
                        guid = r.text.split("submissionGuid=")[1].strip()
                        with lock:
                            acked[guid] = email.strip().lower()
                        break
                    time.sleep(0.05)

    # What each kill hits: with a separate worker, the worker, the API and both in turn.
    victims = (["worker", "api", "both"] if procs.separate_worker else ["api"]) * KILLS
    threads = [threading.Thread(target=poster) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for victim in victims[:KILLS]:
            time.sleep(rng.uniform(0.2, 1.0))
            if victim in ("worker", "both"):
                procs.kill_worker()
            if victim in ("api", "both"):
                procs.kill_api()
        for t in threads:
            t.join(300)
        assert len(acked) == POSTS
        # The last worker drains the queue. Wait for every acknowledged guid (a count
        # could be met early by posts whose answer was lost to a kill: committed,
        # retried, and so counted twice).
        wait_while_progressing(
            lambda: set(acked) <= event_guids(db, portal.id),
            lambda: queue_counts(db, portal.id).get("done", 0),
            what="every acknowledged submission to become an event")
        wait_until(lambda: queue_counts(db, portal.id)["processing"] == 0, timeout=60,
                   what="no submission left in processing")
        events = event_guids(db, portal.id)
        missing = set(acked) - events
        assert not missing, f"{len(missing)} acknowledged submissions lost"
        # Exactly once: every stored submission (acknowledged, or committed while its
        # answer was lost to a kill) is one event, and no event comes from nowhere.
        assert events == submission_guids(db, portal.id)
        counts = queue_counts(db, portal.id)
        assert counts == {"pending": 0, "processing": 0, "failed": 0, "done": len(events)}
        with procs.server.client(portal.token) as c:
            for guid in rng.sample(sorted(acked), 20):
                r = c.get("/leads/v1/lead", params={"conversionEventGuid": guid})
                assert r.status_code == 200
                assert r.json()[0]["email"].lower() == acked[guid]
        emails = set(acked.values())
        assert leads_per_email(db, portal.id) == dict.fromkeys(emails, 1)
    finally:
        procs.stop()

"""The PostgreSQL server stopped immediately (a crash of the database) while posts keep coming.

A private PostgreSQL instance (never the shared one) serves a ``leadhub
serve`` (API with its embedded worker) and a separate ``leadhub worker``.
Four clients post without pause; the database server is stopped with
``pg_ctl stop -m immediate`` and started again, ``OUTAGES`` times. Neither
leadhub process is restarted. Checked:

- during the outage every post is answered 503 ``text/plain`` ``Error: ...``
  with ``Retry-After`` (the JSON faces and ``/healthz`` answer 503 in
  HubSpot's error envelope), never 200;
- after the restart the API accepts posts again and the workers drain the
  queue by themselves;
- every acknowledged post is exactly one conversion event, one lead per
  email, nothing failed or left in the queue.

``make soak`` runs more outages (LEADHUB_SOAK=1).
"""

from __future__ import annotations

import itertools
import os
import threading
import time

import httpx
import sqlalchemy as sa

from leadhub.ingest import service as ingest_service
from leadhub.store import Database
from leadhub.store.migrate import upgrade
from leadhub.store.schema import conversion_events, submissions
from tests import pgserver
from tests.conftest import make_portal, start_server
from tests.ingest.helpers import submission_guid, wait_until
from tests.reliability.helpers import WorkerProcess, leads_per_email

SOAK = os.environ.get("LEADHUB_SOAK") == "1"
OUTAGES = 4 if SOAK else 1
EMAILS = 30
# Long leases: after the restart, work must resume because the workers free their
# own claims, not because a lease ran out.
WORKER_ENV = {"LEADHUB_INGEST_LEASE_SECONDS": "600", "LEADHUB_INGEST_POLL_SECONDS": "0.05"}


class Posters:
    """Clients posting without pause; every answer is recorded."""

    def __init__(self, url: str, portal_id: int, clients: int = 4) -> None:
        self.url = f"{url}/?app=leaddirector&FormName=Outage&portalId={portal_id}"
        self.acked: dict[str, str] = {}  # submission guid -> email
        self.refused: list[httpx.Response] = []
        self.unexpected: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self._numbers = itertools.count()
        self.threads = [threading.Thread(target=self._post) for _ in range(clients)]
        for t in self.threads:
            t.start()

    def _post(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                i = next(self._numbers)
                email = f"p{i % EMAILS}@Example.com" if i % 3 else f"unique{i}@example.com"
                data = {"Email": email, "UserToken": f"t{i}", "IPAddress": "127.0.0.1"}
                try:
                    r = client.post(self.url, data=data)
                except httpx.HTTPError as exc:  # the API itself must stay up and answer
                    with self.lock:
                        self.unexpected.append(f"no answer: {exc!r}")
                    time.sleep(0.05)
                    continue
                with self.lock:
                    if r.status_code == 200:
                        self.acked[submission_guid(r.text)] = email.lower()
                    elif r.status_code == 503:
                        self.refused.append(r)
                    else:
                        self.unexpected.append(f"{r.status_code}: {r.text}")
                if r.status_code != 200:
                    time.sleep(0.02)

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return len(self.acked), len(self.refused)

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)


def _try(check):  # type: ignore[no-untyped-def]
    """``check()``, or None while the store cannot answer it."""
    try:
        return check()
    except sa.exc.OperationalError:
        return None


def test_acknowledged_posts_survive_a_database_crash_and_leadhub_recovers(
    private_pg: pgserver.PrivatePostgres, tmp_path
) -> None:
    url = private_pg.create_database("leadhub_outage")
    db = Database(url)
    upgrade(db)
    server = start_server(url, tmp_path, env=WORKER_ENV)
    worker = None
    posters = None
    try:
        worker = WorkerProcess(url, server.url, tmp_path / "worker.log", WORKER_ENV)
        portal = make_portal(db, server, "Outage")
        db.write_call(ingest_service.create_form, portal.id, "Outage")
        posters = Posters(server.url, portal.id)
        for _ in range(OUTAGES):
            acked, refused = posters.counts()
            wait_until(lambda a=acked: posters.counts()[0] >= a + 40, timeout=60,
                       what="posts accepted while the database runs")
            private_pg.stop("immediate")
            wait_until(lambda r=refused: posters.counts()[1] >= r + 20, timeout=60,
                       what="posts refused while the database is down")
            with server.client(portal.token) as c:
                health = c.get("/healthz")
                assert health.status_code == 503, health.text
                assert health.json()["status"] == "error"
                lead = c.get("/leads/v1/lead/0123456789abcdef0123456789abcdef")
                assert lead.status_code == 503, lead.text
                assert lead.headers["retry-after"] == "1"
                assert lead.json()["message"] == "the store is unavailable; retry later"
            private_pg.start()
            acked, _ = posters.counts()
            wait_until(lambda a=acked: posters.counts()[0] >= a + 40, timeout=60,
                       what="posts accepted again after the database restarted")
        posters.finish()
        assert not posters.unexpected, posters.unexpected[:5]
        assert posters.refused
        for r in posters.refused:
            assert r.headers["content-type"].startswith("text/plain"), r.headers
            assert r.text == "Error: the store is unavailable; retry later\n", r.text
            assert r.headers["retry-after"] == "1"
        assert server.proc.poll() is None, server.log()
        assert worker.proc.poll() is None, worker.log()

        acked = set(posters.acked)

        def drained() -> bool:
            counts = _try(lambda: db.read_call(ingest_service.queue_status, portal.id))
            if counts is None:
                return False
            subs = counts.submissions
            return subs["pending"] == subs["processing"] == 0 and acked <= _event_guids(db)

        wait_until(drained, timeout=120, what="the queue drained by the running workers")
        status = db.read_call(ingest_service.queue_status, portal.id)
        assert status.submissions["failed"] == 0, status.failed
        events = _event_guids(db)
        # Every stored submission (acknowledged, or committed just as the database
        # went away, its answer lost) is exactly one event, and nothing else is.
        assert events == _submission_guids(db)
        assert acked <= events
        assert leads_per_email(db, portal.id) == dict.fromkeys(
            {e.strip() for e in posters.acked.values()} | _emails_of_unacked(db, acked), 1
        )
    finally:
        if posters is not None:
            posters.finish()
        if not private_pg.running():
            private_pg.start()
        if worker is not None:
            worker.kill()
        server.stop()
        db.dispose()


def _event_guids(db: Database) -> set[str]:
    with db.read() as conn:
        return set(conn.execute(sa.select(conversion_events.c.guid)).scalars())


def _submission_guids(db: Database) -> set[str]:
    with db.read() as conn:
        return set(conn.execute(sa.select(submissions.c.guid)).scalars())


def _emails_of_unacked(db: Database, acked: set[str]) -> set[str]:
    """Emails of stored submissions whose answer was lost (committed as the server died)."""
    with db.read() as conn:
        rows = conn.execute(sa.select(submissions.c.guid, submissions.c.fields)).all()
    out = set()
    for guid, fields in rows:
        if guid not in acked:
            values = {k.lower(): v for k, v in fields}
            out.add(str(values["email"]).strip().lower())
    return out

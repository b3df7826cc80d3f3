"""The queue with its worker in a process of its own: waiting, crashes, failures, two workers."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from leadhub.ingest import service
from leadhub.store import queue as queue_store
from leadhub.store.schema import conversion_events
from tests.conftest import _python_path, start_server
from tests.ingest.helpers import make_form, submission_guid, wait_for_lead, wait_until


@pytest.fixture(scope="module")
def server(db, store_url, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A server that only accepts posts: its embedded worker is off."""
    srv = start_server(store_url, tmp_path_factory.mktemp("server"), "--no-worker")
    yield srv
    srv.stop()


class Workers:
    """``leadhub worker`` processes started by a test, stopped at its end."""

    def __init__(self, database_url: str, public_url: str, log_dir: Path) -> None:
        self.database_url = database_url
        self.public_url = public_url
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[object] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "leadhub", "worker", "--database-url", self.database_url,
             "--public-url", self.public_url, "--poll-seconds", "0.05", *args],
            stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": _python_path(), **(env or {})},
        )
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()  # type: ignore[attr-defined]


@pytest.fixture
def workers(server, tmp_path) -> Iterator[Workers]:  # type: ignore[no-untyped-def]
    w = Workers(server.database_url, server.url, tmp_path)
    yield w
    w.stop_all()


def _counts(db, portal_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return dict(db.read_call(service.queue_status, portal_id).submissions)


def _post_many(url: str, n: int, people: int) -> list[str]:
    def post(i: int) -> str:
        data = {"Email": f"person{i % people}@example.com", "IPAddress": "10.0.0.1",
                "UserToken": f"utk-{i}", "Message": f"post {i}"}
        r = http.post(url, data=data)
        assert r.status_code == 200, r.text
        return submission_guid(r.text)

    with httpx.Client(timeout=60) as http, ThreadPoolExecutor(16) as pool:
        return list(pool.map(post, range(n)))


def test_posts_wait_in_the_queue_until_a_worker_runs(db, portal, workers):
    url = make_form(db, portal)
    guids = _post_many(url, 5, 5)
    assert _counts(db, portal.id)["pending"] == 5
    with portal.client() as client:
        assert client.get("/leads/v1/list/").json() == []
        workers.start()
        for guid in guids:
            wait_for_lead(client, guid)
    assert _counts(db, portal.id) == {"pending": 0, "processing": 0, "failed": 0, "done": 5}
    proc = workers.procs[0]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0


def test_worker_killed_mid_batch_loses_and_duplicates_nothing(db, portal, workers):
    url = make_form(db, portal)
    total, people = 400, 40
    guids = _post_many(url, total, people)
    rng = random.Random(7)
    kills_with_work_left = 0
    for _ in range(4):
        # Leases far longer than the test: a restarted worker must take over the
        # claims of the killed one because its process is gone, not by waiting.
        proc = workers.start("--lease-seconds", "600", "--batch", "8")
        before = _counts(db, portal.id)["done"]
        wait_until(lambda b=before: _counts(db, portal.id)["done"] > b, what="progress")
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if _counts(db, portal.id)["done"] < total:
            kills_with_work_left += 1
    assert kills_with_work_left >= 1, "the worker finished before any kill; post more"
    workers.start("--lease-seconds", "600")
    wait_until(lambda: _counts(db, portal.id)["done"] == total, timeout=120, what="all processed")
    assert _counts(db, portal.id) == {"pending": 0, "processing": 0, "failed": 0, "done": total}

    def events(conn):  # type: ignore[no-untyped-def]
        rows = conn.execute(
            sa.select(conversion_events.c.guid, conversion_events.c.lead_id).where(
                conversion_events.c.portal_id == portal.id
            )
        ).all()
        return rows

    rows = db.read_call(events)
    assert sorted(r.guid for r in rows) == sorted(guids)
    assert len({r.lead_id for r in rows}) == people
    with portal.client() as client:
        leads = client.get("/leads/v1/list/", params={"max": 100}).json()
    assert len(leads) == people
    assert sum(lead["numConversionEvents"] for lead in leads) == total
    assert all(lead["numConversionEvents"] == total // people for lead in leads)


def test_two_workers_make_one_lead_of_concurrent_posts_for_one_person(db, portal, workers):
    url = make_form(db, portal)

    def post(i: int) -> str:
        r = http.post(url, data={"email": "same@example.com", "IPAddress": "1.1.1.1",
                                 "UserToken": f"u{i}"})
        return submission_guid(r.text)

    with httpx.Client(timeout=60) as http, ThreadPoolExecutor(30) as pool:
        guids = list(pool.map(post, range(30)))
    workers.start("--batch", "3")
    workers.start("--batch", "3")
    with portal.client() as client:
        leads = {wait_for_lead(client, g)["guid"] for g in guids}
        assert len(leads) == 1
        lead = client.get("/leads/v1/lead/", params={"email": "same@example.com"}).json()[0]
    assert lead["numConversionEvents"] == 30


def test_a_failing_submission_is_retried_then_kept_with_its_error(db, portal, workers, server):
    form_url = make_form(db, portal)
    form = db.read_call(service.list_forms, portal.id)[0]
    bad_guid = "f" * 32
    # A submission no validation lets in (NumberEmployees is checked on accept).
    row = {
        "guid": bad_guid, "portal_id": portal.id, "form_id": form.id, "form_name": form.name,
        "form_guid": form.guid, "received_at": int(time.time() * 1000),
        "fields": [["UserToken", "x"], ["IPAddress", "1"], ["NumberEmployees", "many"]],
    }
    db.write_call(queue_store.enqueue, [row])
    good = submission_guid(
        httpx.post(form_url, data={"Email": "ok@example.com", "IPAddress": "1",
                                   "UserToken": "ok"}).text
    )
    workers.start(env={"LEADHUB_INGEST_MAX_ATTEMPTS": "3", "LEADHUB_INGEST_RETRY_BASE_MS": "20"})
    with portal.client() as client:
        wait_for_lead(client, good)
    wait_until(lambda: _counts(db, portal.id)["failed"] == 1, what="the bad submission to fail")
    failed = db.read_call(queue_store.get_submission, bad_guid)
    assert failed is not None and failed.attempts == 3
    assert "NumberEmployees" in (failed.last_error or "") or "many" in (failed.last_error or "")
    cli = [sys.executable, "-m", "leadhub", "queue"]
    env = {**os.environ, "PYTHONPATH": _python_path()}
    args = ["--portal", str(portal.id), "--database-url", server.database_url]
    out = subprocess.run([*cli, "status", *args], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert "pending 0  processing 0  failed 1  processed 1" in out
    assert f"failed {bad_guid}" in out and "after 3 attempts" in out
    out = subprocess.run([*cli, "retry", *args], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert "requeued 1 submissions" in out
    assert db.read_call(queue_store.get_submission, bad_guid).status in ("pending", "processing",
                                                                         "failed")


def test_a_batch_cut_off_by_the_store_is_claimed_again_at_once(db, portal, monkeypatch):
    """When the store goes away mid-batch, nothing of the batch commits and its rows stay
    claimed by the worker; once the store answers they are due at once, not after the lease."""
    from leadhub.ingest import worker as worker_module

    url = make_form(db, portal)
    guids = _post_many(url, 3, 3)
    real = worker_module.process_claimed
    calls = {"n": 0}

    def cut_off(conn, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise sa.exc.OperationalError(
                "SELECT 1", {}, Exception("server closed the connection unexpectedly")
            )
        return real(conn, *args, **kwargs)

    monkeypatch.setattr(worker_module, "process_claimed", cut_off)
    config = worker_module.WorkerConfig(lease_seconds=600, callbacks=False)
    running = worker_module.Worker(db.url, portal.server.url, config)
    try:
        with pytest.raises(sa.exc.OperationalError):
            running.run_once()
        assert _counts(db, portal.id)["processing"] == 3
        # Claimed again at once, despite the 600 s lease. (The worker serves every portal
        # of the store: a retry due from another test may share the batch.)
        running.run_once()
        assert _counts(db, portal.id)["done"] == 3
    finally:
        running.db.dispose()  # (its loops were never started: run_once is called here)
    assert _counts(db, portal.id) == {"pending": 0, "processing": 0, "failed": 0, "done": 3}
    with portal.client() as client:
        for guid in guids:
            assert client.get("/leads/v1/lead/",
                              params={"conversionEventGuid": guid}).status_code == 200


def test_a_clash_that_keeps_coming_back_ends_failed_with_its_error(db, portal, monkeypatch):
    """A clash is retried without spending an attempt, but only so many times: one that
    never goes away ends ``failed`` with its error, where a passing one costs nothing."""
    from leadhub.ingest import process as process_mod
    from leadhub.ingest import worker as worker_module
    from leadhub.ingest.process import Policy

    url = make_form(db, portal)
    posted = {}
    for name in ("stuck", "passing"):
        r = httpx.post(url, data={"Email": f"{name}@example.com", "IPAddress": "10.0.0.1",
                                  "UserToken": f"utk-{name}"})
        posted[name] = submission_guid(r.text)
    real = process_mod.process
    clashes = {"passing": 0}

    def clashing(conn, sub, now):  # type: ignore[no-untyped-def]
        fields = dict(sub.fields)
        if fields.get("Email") == "stuck@example.com" or (
            fields.get("Email") == "passing@example.com" and clashes["passing"] < 2
        ):
            if fields.get("Email") == "passing@example.com":
                clashes["passing"] += 1
            raise sa.exc.IntegrityError(
                "INSERT", {}, Exception("UNIQUE constraint failed: unique_values.value")
            )
        return real(conn, sub, now)

    monkeypatch.setattr(process_mod, "process", clashing)
    monkeypatch.setattr(process_mod, "BATCH_NEW_PEOPLE", False)  # every one through process
    monkeypatch.setattr(process_mod, "IN_PLACE_TRIES", 1)
    policy = Policy(max_attempts=3, retry_base_ms=1, retry_max_ms=5, max_conflicts=4)
    config = worker_module.WorkerConfig(lease_seconds=600, callbacks=False, policy=policy)
    running = worker_module.Worker(db.url, portal.server.url, config)
    stuck = None
    try:
        for _ in range(400):
            running.run_once()
            stuck = db.read_call(queue_store.get_submission, posted["stuck"])
            if stuck is not None and stuck.status == queue_store.FAILED:
                break
            time.sleep(0.01)
    finally:
        running.db.dispose()
    assert stuck is not None and stuck.status == queue_store.FAILED
    assert stuck.conflicts == 4 and stuck.attempts == 3
    assert "IntegrityError" in (stuck.last_error or "")
    passing = db.read_call(queue_store.get_submission, posted["passing"])
    assert passing is not None and passing.status == queue_store.DONE
    assert passing.conflicts == 2 and passing.attempts == 1
    # An operator's retry gives the stuck one its free clashes back, too.
    assert db.write_call(queue_store.requeue_failed, queue_store.submissions, 0,
                         portal.id) == 1
    again = db.read_call(queue_store.get_submission, posted["stuck"])
    assert again.status == queue_store.PENDING and again.attempts == 0 and again.conflicts == 0

"""The v1 point-read lane (leads/fastlane.py) answers as the ordinary stack does, credentials first.

Each read is sent to the ordinary stack behind the lane and through the
whole application; statuses and bodies must agree, and the lane must answer
only what the ordinary stack answers with 200. Credentials come in every
spelling the ordinary stack reads, blank values included: Starlette keeps a
blank ``access_token=`` (the last value of a repeated parameter wins), so a
token followed by a blank one is no credential at all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from leadhub.app import create_app
from leadhub.config import Settings
from leadhub.leads.documents import fill
from leadhub.leads.fastlane import V1ReadLane
from leadhub.store import Database
from tests.conftest import make_portal
from tests.factories import forget_documents, make_lead
from tests.lanes import Spy, get


def _read_lane(app: Any) -> V1ReadLane:
    """The application's v1 read lane."""
    layer = app.middleware_stack
    while not isinstance(layer, V1ReadLane):
        layer = layer.app
    return layer


@pytest.fixture(scope="module")
def inproc(db: Database, store_url: str) -> Iterator[Any]:
    """The application in this process, its read lane watched."""
    app = create_app(Settings(database_url=store_url, embedded_worker=False), db=db)
    app.middleware_stack = app.build_middleware_stack()
    layer = _read_lane(app)
    spy = Spy(layer.app)
    layer.app = spy

    async def ordinary(scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = app
        await spy.app(scope, receive, send)

    yield app, spy, ordinary
    app.state.ingest.stop()


def _get(app: Any, target: str, headers: dict[str, str]) -> httpx.Response:
    return get(app, target, headers, "http://reads.test")


def _shape(r: httpx.Response) -> tuple[int, Any]:
    """Status and body; an error's correlation id is new for every answer."""
    if r.status_code == 200:
        return 200, r.content
    body = r.json()
    body.pop("correlationId", None)
    return r.status_code, body


def test_read_lane_credentials(db: Database, inproc: Any) -> None:
    p = make_portal(db, type("S", (), {"url": "http://reads.test"})(), "Read lane creds")
    made = make_lead(db, p.id, email="ada.reads@example.com", conversions=(1_700_000_000_000,))
    db.write_call(fill, p.id, [made.lead_id])
    app, spy, ordinary = inproc
    credentials: list[tuple[str, dict[str, str]]] = [
        ("", {"Authorization": f"Bearer {p.token}"}),
        (f"access_token={p.token}", {}),
        (f"hapikey={p.token}", {}),
        (f"access_token={p.token}&access_token=", {}),
        (f"hapikey={p.token}&hapikey=", {}),
        (f"access_token=&hapikey={p.token}", {}),
        ("access_token=", {}),
        ("access_token=nope", {}),
        ("", {}),
    ]
    answered = 0
    for query, headers in credentials:
        for path, extra in (
            (f"/leads/v1/lead/{made.guid}", ""),
            ("/leads/v1/lead", "email=" + quote("ada.reads@example.com")),
            ("/leads/v1/lead", f"conversionEventGuid={made.event_guids[0]}"),
            (f"/leads/v1/lead/{made.guid}", "x="),
        ):
            both = "&".join(q for q in (extra, query) if q)
            target = f"{path}?{both}" if both else path
            slow = _get(ordinary, target, headers)
            calls = spy.calls
            fast = _get(app, target, headers)
            assert _shape(fast) == _shape(slow), target
            took = spy.calls == calls
            assert not took or fast.status_code == 200, target
            answered += took
    # The lane did answer the plain spellings (SQLite stores documents; PostgreSQL has none).
    assert (answered > 0) == db.is_sqlite


def test_read_lane_answers_leads_without_documents(
    db: Database, inproc: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lead without a stored document is read from its rows and rendered in the lane,
    as the ordinary stack renders it; of an email's several leads, the lane reads the
    one the lookup rules choose."""
    p = make_portal(db, type("S", (), {"url": "http://reads.test"})(), "Read lane cold")
    made = make_lead(db, p.id, email="cold.reads@example.com", conversions=(1_700_000_000_000,))
    make_lead(db, p.id, email="cold.twice@example.com")
    make_lead(db, p.id, email="cold.twice@example.com")
    app, spy, ordinary = inproc
    # A read preempted by another process looks like one waiting for the disk, and such
    # reads go to worker threads for a second (the next test): not what this one is about.
    monkeypatch.setattr(_read_lane(app).ctx.docs.cold, "inline", lambda: True)
    headers = {"Authorization": f"Bearer {p.token}"}
    for target, lane in (
        (f"/leads/v1/lead/{made.guid}", True),
        (f"/leads/v1/lead/{made.guid.upper()}/", True),
        ("/leads/v1/lead?email=" + quote("Cold.Reads@example.com"), True),
        ("/leads/v1/lead?email=" + quote("cold.twice@example.com"), True),
        (f"/leads/v1/lead?conversionEventGuid={made.event_guids[0]}", True),
        (f"/leads/v1/lead?conversionEventGuid=%20{made.event_guids[0].upper()}", True),
        ("/leads/v1/lead?conversionEventGuid=" + "0" * 32, False),
        (f"/leads/v1/lead?conversionEventGuid={made.event_guids[0]}&email=x%40y.z", False),
        ("/leads/v1/lead/" + "0" * 32, False),
        ("/leads/v1/lead?email=" + quote("nobody@example.com"), False),
    ):
        slow = _get(ordinary, target, headers)
        calls = spy.calls
        fast = _get(app, target, headers)
        assert _shape(fast) == _shape(slow), target
        assert (spy.calls == calls) == (lane and db.is_sqlite), target
    assert fast.status_code == 404


def test_cold_reads_that_wait_for_the_disk_go_the_ordinary_way(
    db: Database, inproc: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While reads of leads without documents wait for the disk, the lane leaves them to
    the ordinary stack (worker threads), which answers the same."""
    p = make_portal(db, type("S", (), {"url": "http://reads.test"})(), "Read lane disk")
    made = make_lead(db, p.id, email="disk.reads@example.com")
    forget_documents(db, p.id)
    app, spy, ordinary = inproc
    monkeypatch.setattr(_read_lane(app).ctx.docs.cold, "inline", lambda: False)
    headers = {"Authorization": f"Bearer {p.token}"}
    for target in (f"/leads/v1/lead/{made.guid}",
                   "/leads/v1/lead?email=" + quote("disk.reads@example.com")):
        slow = _get(ordinary, target, headers)
        calls = spy.calls
        fast = _get(app, target, headers)
        assert fast.status_code == 200 and _shape(fast) == _shape(slow), target
        assert spy.calls == calls + 1, target


def test_reads_that_wait_for_the_disk_are_answered_from_worker_threads(
    db: Database, inproc: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While reads wait for the disk, the lane answers stored documents from its worker
    threads, as the ordinary stack answers them; a lead without one goes the ordinary way."""
    p = make_portal(db, type("S", (), {"url": "http://reads.test"})(), "Read lane threads")
    made = make_lead(db, p.id, email="thread.reads@example.com", conversions=(1_700_000_000_000,))
    bare = make_lead(db, p.id, email="thread.bare@example.com")
    forget_documents(db, p.id)
    db.write_call(fill, p.id, [made.lead_id])
    app, spy, ordinary = inproc
    docs = _read_lane(app).ctx.docs
    monkeypatch.setattr(docs.cold, "inline", lambda: False)
    threads: list[str] = []

    def watch(name: str) -> None:
        read = getattr(docs, name)

        def watched(portal_id: int, guid: str) -> bytes | None:
            threads.append(threading.current_thread().name)
            return read(portal_id, guid)

        monkeypatch.setattr(docs, name, watched)

    watch("read_by_guid")
    watch("read_live_by_guid")  # hubspot3's get_lead
    headers = {"Authorization": f"Bearer {p.token}"}
    for target, lane in (
        (f"/leads/v1/lead/{made.guid}", True),
        ("/leads/v1/lead?email=" + quote("thread.reads@example.com"), True),
        (f"/leads/v1/lead?conversionEventGuid={made.event_guids[0]}", True),
        (f"/leads/v1/list/?guids%5B0%5D={made.guid}", True),
        (f"/leads/v1/lead/{bare.guid}", False),
        ("/leads/v1/lead?email=" + quote("thread.bare@example.com"), False),
        (f"/leads/v1/list/?guids%5B0%5D={bare.guid}", False),
    ):
        slow = _get(ordinary, target, headers)
        calls = spy.calls
        threads.clear()
        fast = _get(app, target, headers)
        assert fast.status_code == 200 and _shape(fast) == _shape(slow), target
        assert (spy.calls == calls) == (lane and db.is_sqlite), target
        if target.endswith(made.guid) and db.is_sqlite:  # by guid, and as hubspot3 reads
            assert [t[:12] for t in threads] == ["leadhub-read"], threads

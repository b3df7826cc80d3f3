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
from leadhub.leads.docwrites import fill
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
    answered: set[str] = set()
    for query, headers in credentials:
        for path, extra in (
            (f"/leads/v1/lead/{made.guid}", ""),
            ("/leads/v1/lead", "email=" + quote("ada.reads@example.com")),
            ("/leads/v1/lead", f"conversionEventGuid={made.event_guids[0]}"),
            (f"/leads/v1/lead/{made.guid}", "x="),
            ("/leads/v1/list/", f"guids%5B0%5D={made.guid}"),
        ):
            both = "&".join(q for q in (extra, query) if q)
            target = f"{path}?{both}" if both else path
            slow = _get(ordinary, target, headers)
            calls = spy.calls
            fast = _get(app, target, headers)
            assert _shape(fast) == _shape(slow), target
            took = spy.calls == calls
            assert not took or fast.status_code == 200, target
            if took:
                answered.add(extra.split("=")[0])
    # The lane did answer the plain spellings (PostgreSQL leaves a lookup by conversion
    # event to the ordinary stack).
    assert answered == ({"", "email", "guids%5B0%5D"} | (
        {"conversionEventGuid"} if db.is_sqlite else set()))


# What the lane answers on PostgreSQL (store/pgbatch.py): by guid, by email, and a list of
# one guid; a lookup by conversion event goes the ordinary way there.
def _lane_on(db: Database, target: str) -> bool:
    return db.is_sqlite or "conversionEventGuid" not in target


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
        assert (spy.calls == calls) == (lane and _lane_on(db, target)), target
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
        # PostgreSQL's lane reads every lead the same way (no stored documents).
        assert spy.calls == calls + db.is_sqlite, target


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
        # PostgreSQL has no worker threads here: its lane reads every lead the same way,
        # whether it waits for the disk or not.
        assert (spy.calls == calls) == (
            lane and db.is_sqlite or not db.is_sqlite and _lane_on(db, target)), target
        if target.endswith(made.guid) and db.is_sqlite:  # by guid, and as hubspot3 reads
            assert [t[:12] for t in threads] == ["leadhub-read"], threads


def test_postgresql_reads_store_documents_that_follow_writes(db: Database, inproc: Any) -> None:
    """On PostgreSQL the lane stores a lead's document at its second read (one event
    loop, as a server runs), answers later reads from it, by guid, by email and as
    hubspot3 reads, as the ordinary stack answers them; and after a change, through
    the API, answers the changed lead, as the ordinary stack does."""
    if db.is_sqlite:
        pytest.skip("SQLite's documents are stored by writes (tests/e2e/test_lead_documents.py)")
    import asyncio

    import sqlalchemy as sa

    from leadhub.store.schema import lead_documents

    p = make_portal(db, type("S", (), {"url": "http://reads.test"})(), "Read lane stores")
    made = make_lead(db, p.id, email="stored.reads@example.com")
    app, spy, ordinary = inproc
    docs = _read_lane(app).ctx.docs
    headers = {"Authorization": f"Bearer {p.token}"}
    targets = [f"/leads/v1/lead/{made.guid}", "/leads/v1/lead?email=stored.reads%40example.com",
               f"/leads/v1/list/?guids%5B0%5D={made.guid}"]

    def stored() -> bytes | None:
        with db.read() as conn:
            doc = conn.execute(sa.select(lead_documents.c.doc).where(
                lead_documents.c.lead_id == made.lead_id)).scalar_one_or_none()
        return None if doc is None else bytes(doc)

    async def reads(app: Any, count: int) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reads.test") as c:
            out = [await c.get(t, headers=headers) for _ in range(count) for t in targets]
        await asyncio.gather(*docs.pg.storing)
        return out

    async def change(app: Any) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reads.test") as c:
            r = await c.put(f"/leads/v1/lead/{made.guid}", headers=headers,
                            json={"guid": made.guid, "firstName": "Changed"})
        assert r.status_code == 200, r.text

    assert stored() is None
    for step in ("read", "changed"):
        slow = asyncio.run(reads(ordinary, 1))
        calls = spy.calls
        fast = asyncio.run(reads(app, 2))
        assert spy.calls == calls  # every read the lane's
        assert [_shape(r) for r in fast] == [_shape(r) for r in slow] * 2, step
        doc = stored()
        assert doc is not None and docs.body([doc]) == fast[0].content
        assert all(f.status_code == 200 and f.content for f in fast)
        # Now each read is one statement: the stored document's lookup (and, on this
        # new event loop, the first read looks at the snapshot once before it, to keep
        # answers under it: store/pgbatch.py ``kept_or_read``).
        statements = db.batch.statements
        assert [r.content for r in asyncio.run(reads(app, 1))] == [f.content for f in fast[:3]]
        assert db.batch.statements == statements + len(targets) + 1
        if step == "read":
            before = fast[0].content
            # A change through the API: the document is emptied with it.
            asyncio.run(change(app))
            assert stored() is None
    assert fast[0].content != before and b'"firstName":"Changed"' in fast[0].content

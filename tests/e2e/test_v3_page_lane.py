"""v3 list pages (``GET /crm/v3/objects/{type}``, the official client's ``get_page``)
answered by the point-read lane (crm/fastread.py ``page``) are byte for byte the
ordinary stack's.

Every request is sent twice to the same application in this process: once
straight to the ordinary stack behind the lane, once through the whole
application. Status, headers and body must be the same, before and after
changes; the ordinary stack is watched, so the test also knows which requests
the lane answered itself.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leadhub import ratelimit
from leadhub.app import create_app
from leadhub.config import Settings
from leadhub.leads.fastlane import V1ReadLane
from leadhub.store import Database
from tests.conftest import make_portal
from tests.lanes import get, watched

BASE = "http://pages.test"


@pytest.fixture(scope="module")
def inproc(db: Database, store_url: str) -> Iterator[Any]:
    app = create_app(Settings(database_url=store_url, embedded_worker=False,
                              public_url=BASE), db=db)
    yield watched(app, V1ReadLane)
    app.state.ingest.stop()


@pytest.fixture(autouse=True)
def _limits_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "SETTINGS_TTL_S", 3600.0)


def _send(app: Any, method: str, path: str, token: str, body: Any = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
            return await c.request(method, path, json=body,
                                   headers={"Authorization": f"Bearer {token}"})
    return asyncio.run(go())


def _shape(r: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    body = re.sub(rb'"correlationId":"[^"]*"', b'"correlationId":"C"', r.content)
    return r.status_code, list(r.headers.multi_items()), body


def _compare(inproc: Any, token: str, targets: list[str]) -> list[str]:
    """Send each request both ways; the targets the lane answered itself."""
    app, spy, ordinary = inproc
    auth = {"Authorization": f"Bearer {token}"}
    taken = []
    for target in targets:
        slow = get(ordinary, target, auth, BASE)
        calls = spy.calls
        fast = get(app, target, auth, BASE)
        assert _shape(fast) == _shape(slow), target
        if spy.calls == calls:
            assert fast.status_code == 200, target
            taken.append(target)
    return taken


def _queries(first: str, custom: str) -> list[str]:
    return [
        "", "limit=1", "limit=2", "limit=3&after=0", f"after={first}", f"limit=2&after={first}",
        "limit=100", "after=99999999", "archived=false", "archived=False&limit=2",
        "properties=hs_object_id", "properties=email,firstname&limit=2",
        f"properties={custom}", f"properties={custom},nope,email&limit=3",
        "properties=&limit=2", "properties=a,,a", "limit=", "limit=%205",
        # Left to the ordinary face (its errors, or what the lane does not serve).
        "limit=0", "limit=101", "limit=x", "after=x", "after=-1",
        "archived=true", "archived=maybe", "limit=2&limit=3", "properties=a&properties=b",
        "idProperty=email", "associations=companies", "propertiesWithHistory=email",
        "hapikey=nope&limit=2", "limit=2&unknown=1",
    ]


def test_v3_pages_are_the_ordinary_answer(db: Database, inproc: Any) -> None:
    p = make_portal(db, type("S", (), {"url": BASE})(), "v3 page lane")
    app = inproc[0]
    made = _send(app, "POST", "/crm/v3/properties/contacts", p.token, {
        "name": "shoe_size", "label": "Shoe size", "type": "string", "fieldType": "text",
        "groupName": "contactinformation"})
    assert made.status_code == 201, made.text
    ids = []
    for i in range(7):
        r = _send(app, "POST", "/crm/v3/objects/contacts", p.token, {"properties": {
            "email": f"page{i}@example.com", "firstname": f"Page{i}",
            **({"shoe_size": str(40 + i)} if i % 2 else {})}})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    queries = _queries(ids[1], "shoe_size")
    targets = [f"/crm/v3/objects/contacts?{q}" if q else "/crm/v3/objects/contacts"
               for q in queries]
    targets += ["/crm/v3/objects/CONTACTS?limit=2", "/crm/v3/objects/companies",
                "/crm/v3/objects/leads?limit=3", "/crm/v3/objects/0-1?limit=2"]
    served = _compare(inproc, p.token, targets)
    if db.fast_path is None:
        assert served == []  # on PostgreSQL: always the ordinary way
        return
    # Everything before the first of the ordinary face's own cases is the lane's, and a
    # credential in the query string beside the header is no parameter of the page.
    ordinary = targets.index("/crm/v3/objects/contacts?limit=0")
    assert served == [*targets[:ordinary], "/crm/v3/objects/contacts?hapikey=nope&limit=2",
                      *targets[-4:]]

    # Changes: an update, an archive, a property archived; then a walk of every page.
    assert _send(app, "PATCH", f"/crm/v3/objects/contacts/{ids[2]}", p.token,
                 {"properties": {"firstname": "Renamed"}}).status_code == 200
    assert _send(app, "DELETE", f"/crm/v3/objects/contacts/{ids[3]}", p.token).status_code == 204
    assert _send(app, "DELETE", "/crm/v3/properties/contacts/shoe_size",
                 p.token).status_code == 204
    assert _compare(inproc, p.token, targets) == served
    target: str | None = "/crm/v3/objects/contacts?limit=2&properties=firstname"
    walked = []
    while target:
        _compare(inproc, p.token, [target])
        page = get(app, target, {"Authorization": f"Bearer {p.token}"}, BASE).json()
        walked += [o["id"] for o in page["results"]]
        link = page.get("paging", {}).get("next", {}).get("link")
        target = link[len(BASE):] if link else None
    assert walked == [i for i in ids if i != ids[3]]


def test_pages_reuse_kept_answers_and_keep_none(db: Database, inproc: Any, monkeypatch) -> None:
    """A walk of every page reads each object once: its answers are not kept (they would
    push out those of objects read again and again), but one kept by a read by id is
    reused."""
    if db.fast_path is None:
        pytest.skip("the lane reads a SQLite file")
    from leadhub.crm import rowrender

    p = make_portal(db, type("S", (), {"url": BASE})(), "v3 page lane cache")
    app = inproc[0]
    ids = []
    for i in range(3):
        r = _send(app, "POST", "/crm/v3/objects/companies", p.token,
                  {"properties": {"name": f"Kept {i}"}})
        assert r.status_code == 201, r.text
        ids.append(int(r.json()["id"]))
    monkeypatch.setattr(rowrender, "_rendered", {})
    monkeypatch.setattr(rowrender, "_named", {})
    targets = ["/crm/v3/objects/companies?limit=3", "/crm/v3/objects/companies?properties=name"]
    assert _compare(inproc, p.token, targets) == targets
    assert rowrender._rendered == {} and rowrender._named == {}
    assert _compare(inproc, p.token, [f"/crm/v3/objects/companies/{ids[1]}"])
    assert list(rowrender._rendered) == [ids[1]]
    kept = rowrender._rendered[ids[1]]
    rowrender._rendered[ids[1]] = (*kept[:4], b'{"kept":1}')
    page = get(app, targets[0], {"Authorization": f"Bearer {p.token}"}, BASE)
    assert b'{"kept":1}' in page.content  # the kept answer, reused

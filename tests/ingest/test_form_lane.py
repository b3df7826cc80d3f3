"""The form post lane and the remembered targets: the same answers as the ordinary way,
new forms accepted at once, unknown ones still refused, rate limits still applied."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leadhub import portals as portal_service
from leadhub.app import create_app
from leadhub.config import Settings
from leadhub.ingest import service
from leadhub.ingest.lane import FormPostLane
from leadhub.ingest.service import Target
from leadhub.ingest.targets import TargetCache
from leadhub.store import Database
from leadhub.store import forms as form_store
from leadhub.store.schema import submissions
from tests.conftest import make_portal
from tests.ingest.helpers import make_form, submission_guid
from tests.lanes import Spy

FORM = "application/x-www-form-urlencoded"
GOOD = "Email=lane%40example.com&FirstName=L%C3%A9a&IPAddress=1.1.1.1&UserToken=u1"


@pytest.fixture(scope="module")
def inproc(db: Database, store_url: str) -> Iterator[Any]:
    """The application in this process (the lane, and the ordinary stack behind it)."""
    app = create_app(Settings(database_url=store_url, embedded_worker=False), db=db)
    yield app
    app.state.ingest.stop()


def _lane(app: Any) -> FormPostLane:
    if app.middleware_stack is None:
        app.middleware_stack = app.build_middleware_stack()
    lane = app.middleware_stack
    assert isinstance(lane, FormPostLane)
    if not isinstance(lane.app, Spy):
        lane.app = Spy(lane.app)
    return lane


def _send(app: Any, query: str, body: bytes | str, headers: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://forms.test") as c:
            return await c.post(f"/?{query}", content=body, headers=headers)

    return asyncio.run(go())


def _shape(r: httpx.Response) -> tuple[int, list[tuple[str, str]], str]:
    """Status, headers and body, with the submission guid and correlation id blanked."""
    text = re.sub(r"submissionGuid=[0-9a-f]{32}", "submissionGuid=G", r.text)
    text = re.sub(r'"correlationId":"[^"]*"', '"correlationId":"C"', text)
    return r.status_code, list(r.headers.multi_items()), text


def test_the_lane_answers_exactly_as_the_ordinary_way(db, inproc, monkeypatch):
    p = make_portal(db, type("S", (), {"url": "http://forms.test"})(), "Lane portal")
    db.write_call(service.create_form, p.id, "laneform")
    lane = _lane(inproc)
    spy = lane.app
    base = f"app=leaddirector&FormName=laneform&portalId={p.id}"
    form = {"Content-Type": FORM}
    cases: list[tuple[str, bytes | str, dict[str, str]]] = [
        (base, GOOD, form),
        (base, GOOD, {**form, "Authorization": "Bearer not-a-token"}),
        (base.replace("laneform", "LANEFORM"), GOOD, {"Content-Type": f"{FORM}; charset=utf-8"}),
        (base, b"Email=x%E9%40y.z&IPAddress=1&UserToken=u",
         {"Content-Type": f"{FORM}; charset=latin-1"}),
        (base, "Email=x%E9%40y.z&IPAddress=1&UserToken=u", form),  # not UTF-8: 400
        (base, GOOD, {"Content-Type": f"{FORM}; charset=nope"}),
        (base, GOOD, {"Content-Type": "application/json"}),
        (base, "Email=a%40b.c", form),
        (base, GOOD + "&NumberEmployees=12.5", form),
        (base, GOOD + "&Message=a%00b", form),
        (base.replace("leaddirector", "other"), GOOD, form),
        (base.replace("FormName=laneform", "FormName="), GOOD, form),
        (base.replace("laneform", "unknownform"), GOOD, form),
        (base + "&x=%00", GOOD, form),
        (base.replace(f"portalId={p.id}", "portalId=999999"), GOOD, form),
        (base, GOOD, {**form, "Authorization": f"Bearer {p.token}"}),
        # the query string read as Starlette reads it: decoded, the last of a repeated name
        (base.replace("laneform", "lane%66orm"), GOOD, form),
        (base + "&FormName=unknownform", GOOD, form),
        ("FormName=unknownform&" + base, GOOD, form),
        (base.replace("app=leaddirector", "app=leaddirector&app=other"), GOOD, form),
        (base + f"&access_token={p.token}&access_token=", GOOD, form),
        (base.replace("app=", "a%70p="), GOOD, form),
    ]
    before = db.read_call(service.queue_status, p.id).submissions.get("pending", 0)
    # Resolve the target once the ordinary way, so that the lane knows it.
    assert _send(inproc, base, GOOD, form).status_code == 200
    accepted = 1
    for query, body, headers in cases:
        monkeypatch.setattr(lane, "_target", lambda scope: None)
        slow = _send(inproc, query, body, headers)
        monkeypatch.undo()
        calls = spy.calls
        fast = _send(inproc, query, body, headers)
        assert _shape(fast) == _shape(slow), (query, body, headers)
        if fast.status_code == 200:
            accepted += 2
            submission_guid(fast.text)
        # A valid post to a known form is the lane's own; the rest went the ordinary way.
        took = spy.calls == calls
        assert took == (fast.status_code == 200), (query, body, headers, fast.status_code)
    after = db.read_call(service.queue_status, p.id).submissions.get("pending", 0)
    assert after - before == accepted
    rows = db.read_call(lambda conn: conn.execute(
        submissions.select().where(submissions.c.portal_id == p.id)
        .order_by(submissions.c.id)).all())
    assert rows[-1].fields == [["Email", "lane@example.com"], ["FirstName", "Léa"],
                               ["IPAddress", "1.1.1.1"], ["UserToken", "u1"]]
    assert {r.form_name for r in rows} == {"laneform"}
    assert any(r.fields[0] == ["Email", "xé@y.z"] for r in rows)


def test_the_lane_hands_a_body_it_read_on_as_received(db, inproc):
    p = make_portal(db, type("S", (), {"url": "http://forms.test"})(), "Lane portal 2")
    db.write_call(service.create_form, p.id, "chunks")
    lane = _lane(inproc)
    query = f"app=leaddirector&FormName=chunks&portalId={p.id}"
    assert _send(inproc, query, GOOD, {"Content-Type": FORM}).status_code == 200

    async def post(parts: list[bytes]) -> tuple[int, bytes]:
        messages = [{"type": "http.request", "body": b, "more_body": i < len(parts) - 1}
                    for i, b in enumerate(parts)]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/", "raw_path": b"/",
            "query_string": query.encode(), "root_path": "",
            "headers": [(b"host", b"forms.test"), (b"content-type", FORM.encode())],
            "client": ("127.0.0.1", 1), "server": ("forms.test", 80), "state": {},
            "app": inproc,
        }
        await lane(scope, receive, send)
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return sent[0]["status"], body

    status, body = asyncio.run(post([b"Email=a%40b.c&IPAdd", b"ress=1&User", b"Token=t"]))
    assert status == 200 and body.startswith(b"Lead has been successfully added"), body
    status, body = asyncio.run(post([b"Email=a%40b.c&IPAdd", b"ress=1"]))
    assert status == 400 and b"UserToken is required" in body, body


def test_a_new_form_is_accepted_at_once_and_an_unknown_one_keeps_its_404(db, portal):
    url = make_form(db, portal, "known")
    data = {"Email": "t@example.com", "IPAddress": "1.1.1.1", "UserToken": "t"}
    for _ in range(2):  # the known form: the second post finds its target remembered
        assert httpx.post(url, data=data).status_code == 200
    later = url.replace("FormName=known", "FormName=later")
    for _ in range(2):
        r = httpx.post(later, data=data)
        assert r.status_code == 404 and "not configured" in r.text, r.text
    make_form(db, portal, "Later")  # as `leadhub form create` does, from another process
    r = httpx.post(later, data=data)
    assert r.status_code == 200, r.text
    submission_guid(r.text)


def test_posts_with_a_rate_limited_token_are_still_counted(db, server, portal, store_url):
    from tests.reliability.test_ratelimit import _limits

    url = make_form(db, portal, "limited")
    assert _limits(store_url, "--portal", str(portal.id), "--daily", "3").returncode == 0
    data = {"Email": "r@example.com", "IPAddress": "1.1.1.1", "UserToken": "r"}
    auth = {"Authorization": f"Bearer {portal.token}"}
    answers = [httpx.post(url, data=data, headers=auth) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers.get("x-hubspot-ratelimit-daily-remaining") for r in answers] == [
        "2", "1", "0", "0"]
    # Without the token a post is not counted.
    assert httpx.post(url, data=data).status_code == 200


def test_a_token_created_after_an_unknown_one_was_refused_works_at_once(db, server):
    p = make_portal(db, server, "Token portal")
    token = "pat-lh-later-" + str(time.time_ns())
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.url}/leads/v1/list/", headers=headers).status_code == 401
    db.write_call(lambda conn: portal_service.create_token(conn, p.id, token))
    assert httpx.get(f"{server.url}/leads/v1/list/", headers=headers).status_code == 200


def test_targets_are_remembered_only_with_a_form_and_only_for_their_ttl():
    cache = TargetCache(ttl_s=0.2)
    form = form_store.Form(1, 7, "Demo", "g" * 32, 0)
    key = cache.key("h", "7", "DEMO")
    assert key == cache.key("h", "7", "demo")
    cache.put(key, Target(7, None, True))
    assert cache.get(key) is None
    cache.put(key, Target(7, form, False))
    assert cache.get(key) == Target(7, form, False)
    assert cache.get(cache.key("other", "7", "demo")) is None
    time.sleep(0.25)
    assert cache.get(key) is None

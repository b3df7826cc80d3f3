"""The v1 list lane (leads/listlane.py) gives byte for byte the ordinary stack's answers.

Every request is sent twice to the same application in this process: once
straight to the ordinary stack behind the lane, once through the whole
application (the lane first). Status, headers and body must be the same,
before any document is stored, once all are, and after changes drop some.
The ordinary stack is watched, so the test also knows which requests the
lane answered itself.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from leadhub import ratelimit
from leadhub.app import create_app
from leadhub.config import Settings
from leadhub.leads import documents, listlane
from leadhub.leads.docwrites import StoreLater, fill
from leadhub.leads.listlane import V1ListLane
from leadhub.limits_cli import set_limits
from leadhub.store import Database
from tests.conftest import PortalCtx, make_portal
from tests.factories import forget_documents, make_lead
from tests.lanes import get, watched

WINDOW_START, WINDOW_STOP = 1_600_000_000_000, 1_600_000_500_000


@pytest.fixture(scope="module")
def inproc(db: Database, store_url: str) -> Iterator[Any]:
    """The application in this process, its list lane watched."""
    app = create_app(Settings(database_url=store_url, embedded_worker=False), db=db)
    yield watched(app, V1ListLane)
    app.state.ingest.stop()


def _get(app: Any, target: str, headers: dict[str, str]) -> httpx.Response:
    return get(app, target, headers, "http://lists.test")


def _put(app: Any, token: str, guid: str, body: dict[str, Any]) -> None:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lists.test") as c:
            return await c.put(f"/leads/v1/lead/{guid}", json=body,
                               headers={"Authorization": f"Bearer {token}"})

    response = asyncio.run(go())
    assert response.status_code == 200, response.text


def _shape(r: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body bytes, an error's correlation id blanked."""
    body = re.sub(rb'"correlationId":"[^"]*"', b'"correlationId":"C"', r.content)
    return r.status_code, list(r.headers.multi_items()), body


MISSING_GUID = "0" * 32


def _queries(guids: list[str]) -> list[str]:
    guid = guids[0]
    sorts = ["insertedAt", "insteredAt", "lastModifiedAt", "firstName", "lastName", "email",
             "company", "sourceId", "rawScore", "closedAt", "fce.convertDate",
             "lce.convertDate", "firstConvertedAt", "lastConvertedAt", "isDeleted"]
    queries = ["", "max=5", "max=5&offset=5", "max=3&offset=7", "offset=100", "max=100",
               "max=", "max=0", "max=x", "max=101", "offset=-1", "max=99999999999999999999"]
    for sort in sorts:
        queries += [f"sort={sort}", f"sort={sort}&dir=asc&max=4", f"sort={sort}&dir=DESC"]
    queries += ["dir=sideways", "sort=firstName&sort=lastName&dir=asc", "sort="]
    for term in ["curie", "CURIE", "an", "ma cu", "%", "_", "100%", "zzz", "\u00e9", "a'b", "a\\b",
                 "Lind", "li", "marie  curie", "   "]:
        queries += [f"search={quote(term)}", f"search={quote(term)}&sort=lastName&dir=asc"]
    for pivot in ["insertedAt", "lastModifiedAt", "firstConvertedAt", "lastConvertedAt",
                  "closedAt", "nope"]:
        queries += [
            f"timePivot={pivot}&startTime={WINDOW_START}&stopTime={WINDOW_STOP}",
            f"timePivot={pivot}&startTime={WINDOW_START}&sort=insertedAt&dir=asc",
            f"timePivot={pivot}&stopTime={WINDOW_STOP + 1}",
        ]
    queries += ["startTime=abc", "startTime=&stopTime=", "startTime=1700000000000",
                "includeDeleted=true", "includeDeleted=false", "includeDeleted=",
                "includeDeleted=x",
                "optOut=true", "emailOptOut=true", "emailOptOut=True", "eligibleForEmail=true",
                "bounced=true", "isNotImported=true", "excludeConversionEvents=true",
                "excludeConversionEvents=false", f"guids[0]={guid}", f"guids={guid}&max=1",
                f"guids[1]={guids[1]}&guids[0]={guids[2]}",
                f"guids[0]={guids[3]}&guids[1]={guids[3]}&guids[2]={guids[4]}&sort=lastName",
                f"guids[0]={guid.upper()}", f"guids[0]=%20{guid}%20",
                f"guids[0]={guids[3]}&includeDeleted=true",
                f"guids[0]={guid}&guids[1]={guids[1]}&max=1&offset=1",
                f"guids[0]={guid}&search=curie", f"guids[0]={guid}&search=zzz",
                f"guids[0]={guid}&guids[1]={MISSING_GUID}", f"guids[0]={guid}&max=0",
                f"guids[0]={guids[3]}", f"guids[0]={guid}&sort=lastName&dir=asc",
                f"guids[0]={guid}&timePivot=closedAt&startTime={WINDOW_START}",
                f"guids[0]={guid}&timePivot=insertedAt", f"guids[0]={guid}&optOut=true",
                f"guids[0]={guid}&hapikey=x&excludeConversionEvents=true",
                f"guids[0]={guid}&hapikey=x", f"hapikey=x&guids[0]={guids[3]}",
                f"guids[0]={MISSING_GUID}", "guids[0]=", "guids[0]=%20",
                f"guids[1]={guid}", f"guids[0]={guid}&guids[0]={guids[1]}",
                "search=curie&includeDeleted=true&sort=insertedAt&dir=asc&max=2&offset=1",
                "unknown=1", "search=%00", "x=%00", "search=a%2Bb"]
    return queries


def _compare(
    inproc: Any, p: PortalCtx, queries: list[str], answers: dict[str, Any] | None = None
) -> tuple[int, list[str]]:
    """Send each list request both ways; returns how many the lane answered and which
    answers of 200 it did not. Each answer is kept in ``answers`` by target, or, where
    one is there already, must be the same."""
    app, spy, ordinary = inproc
    auth = {"Authorization": f"Bearer {p.token}"}
    taken, passed = 0, []
    answers = {} if answers is None else answers
    for path in ("/leads/v1/list", "/leads/v1/list/"):
        for query in queries:
            target = f"{path}?{query}" if query else path
            slow = _get(ordinary, target, auth)
            calls = spy.calls
            fast = _get(app, target, auth)
            assert _shape(fast) == _shape(slow), target
            assert answers.setdefault(target, _shape(fast)) == _shape(fast), target
            if spy.calls == calls:
                assert fast.status_code == 200, target
                taken += 1
            elif fast.status_code == 200:
                passed.append(query)
    return taken, passed


@pytest.fixture(autouse=True)
def _limits_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    # The lane steps aside for a request whenever a portal's remembered limits have
    # grown older than their lifetime; keep them, so that which requests the lane
    # answers does not depend on when that happens during the test.
    monkeypatch.setattr(ratelimit, "SETTINGS_TTL_S", 3600.0)


@pytest.mark.parametrize("where", ["inline", "threads"])
def test_list_lane_answers_as_the_ordinary_stack(db, inproc, where, monkeypatch):
    if where == "threads":
        # Every stored page past its (no) budget: read in a worker thread.
        monkeypatch.setattr(documents, "INLINE_STEPS", 1)
    p = make_portal(db, type("S", (), {"url": "http://lists.test"})(), f"List lane {where}")
    leads = [
        make_lead(db, p.id, firstName="Marie", lastName="Curie", email="mc@radium.org",
                  company="Sorbonne", inserted_at=WINDOW_START + 10,
                  conversions=(WINDOW_START + 20, WINDOW_START + 900_000)),
        make_lead(db, p.id, firstName="Pierre", lastName="Curie", email="pc@physics.fr",
                  company="ESPCI", inserted_at=WINDOW_START + 10),
        make_lead(db, p.id, firstName="\u00c9mile", lastName="Lindqvist", email="el@x.se",
                  company="100% Real_Co", inserted_at=WINDOW_START - 5),
        make_lead(db, p.id, firstName="Ann", lastName="O'Brien", email="a'b@x.ie",
                  emailOptOut=True, inserted_at=WINDOW_STOP),
        make_lead(db, p.id, firstName="Lin", lastName="Li", email="ll@x.cn",
                  inserted_at=WINDOW_STOP + 1, conversions=(WINDOW_STOP,)),
    ]
    leads += [make_lead(db, p.id, inserted_at=WINDOW_START + 1_000 * i) for i in range(12)]
    queries = _queries([lead.guid for lead in leads])

    guid, live = leads[0].guid, leads[3].guid
    one_guid = [f"guids[0]={guid}", f"guids[0]={guid.upper()}", f"guids[0]=%20{guid}%20",
                f"guids[0]={live}", f"guids[0]={guid}&hapikey=x", f"hapikey=x&guids[0]={live}"]
    assert all(q in queries for q in one_guid)

    def lanes_took_theirs(taken: int, passed: list[str]) -> None:
        if db.is_sqlite:
            # Every list that asks for conversion events is the lane's own, guids of no
            # lead included.
            assert all("excludeConversionEvents=true" in q for q in passed), passed
        else:
            # PostgreSQL: every list that asks for conversion events and names no guids
            # is the list lane's (``PgDocuments.page``); the point-read lane answers
            # a list of one live lead's guid and nothing else (how hubspot3 reads a
            # lead); other lists of guids go the ordinary way.
            assert all("excludeConversionEvents=true" in q or "guids" in q
                       for q in passed), passed
            assert not set(one_guid) & set(passed)
        assert taken > len(queries)

    # No document stored: every answer is read from the leads' rows (the lane renders
    # them too), which is what the pages of stored documents must say as well.
    forget_documents(db, p.id)
    from_rows: dict[str, Any] = {}
    lanes_took_theirs(*_compare(inproc, p, queries, from_rows))

    db.write_call(fill, p.id, [lead.lead_id for lead in leads])
    lanes_took_theirs(*_compare(inproc, p, queries, from_rows))

    # Changes drop documents (a rename, a delete); the lists stay the same both ways.
    app = inproc[0]
    _put(app, p.token, leads[1].guid, {"guid": leads[1].guid, "firstName": "Pierre-Marie"})
    _put(app, p.token, leads[3].guid, {"guid": leads[3].guid, "isDeleted": True})
    changed: dict[str, Any] = {}
    _compare(inproc, p, queries, changed)
    # ... and the same as read from the leads' rows.
    forget_documents(db, p.id)
    _compare(inproc, p, queries, changed)


def test_list_lane_credentials_and_limits(db, inproc):
    p = make_portal(db, type("S", (), {"url": "http://lists.test"})(), "List lane creds")
    made = make_lead(db, p.id)
    db.write_call(fill, p.id, [made.lead_id])
    app, spy, ordinary = inproc
    cases: list[tuple[str, dict[str, str]]] = [
        ("", {}),
        ("", {"Authorization": "Bearer not-a-token"}),
        ("", {"Authorization": "Basic abc"}),
        (f"hapikey={p.token}", {}),
        (f"access_token={p.token}", {}),
        (f"access_token=&hapikey={p.token}", {}),
        (f"access_token={p.token}&access_token=", {}),
        (f"hapikey={p.token}", {"Authorization": "Bearer not-a-token"}),
        ("access_token=nope", {}),
        (f"hapikey={p.token}%00", {}),
        ("", {"Authorization": f"bearer {p.token}"}),
        ("", {"Authorization": f"Bearer  {p.token} "}),
    ]
    for query, headers in cases:
        target = f"/leads/v1/list?{query}"
        slow = _get(ordinary, target, headers)
        calls = spy.calls
        fast = _get(app, target, headers)
        assert _shape(fast) == _shape(slow), (query, headers)
        took = spy.calls == calls
        assert took == (fast.status_code == 200), (query, headers)

    # A portal with rate limits is counted by the ordinary stack, never by the lane.
    limited = make_portal(db, type("S", (), {"url": "http://lists.test"})(), "Limited")
    made = make_lead(db, limited.id)
    db.write_call(fill, limited.id, [made.lead_id])
    db.write_call(set_limits, limited.id, None, 100)
    auth = {"Authorization": f"Bearer {limited.token}"}
    slow = _get(ordinary, "/leads/v1/list", auth)
    calls = spy.calls
    fast = _get(app, "/leads/v1/list", auth)
    assert spy.calls == calls + 1
    assert fast.content == slow.content
    assert int(fast.headers["x-hubspot-ratelimit-daily-remaining"]) == int(
        slow.headers["x-hubspot-ratelimit-daily-remaining"]) - 1


def test_a_page_of_leads_without_documents_is_read_once(db, inproc, monkeypatch):
    """The lane renders the leads of a page that have no stored document from their rows,
    in the page's snapshot, and hands them on to be stored: the list's query runs once,
    where the lane, then the ordinary face, then its read of the rows each ran it (that
    read of the rows, ``service.list_leads``, must not run at all)."""
    if not db.is_sqlite:
        pytest.skip("documents are stored on SQLite only")
    p = make_portal(db, type("S", (), {"url": "http://lists.test"})(), "List lane once")
    made = [make_lead(db, p.id, lastName=f"Once{i}") for i in range(4)]
    forget_documents(db, p.id)
    db.write_call(fill, p.id, [made[0].lead_id])  # one of the page's leads has one
    texts, queries = [], []
    real_text, real_query = documents.sqlite_list_sql, documents.service.list_leads
    monkeypatch.setattr(documents, "sqlite_list_sql",
                        lambda q: texts.append(1) or real_text(q))
    monkeypatch.setattr(documents.service, "list_leads",
                        lambda *a, **kw: queries.append(1) or real_query(*a, **kw))
    scheduled: list[int] = []
    monkeypatch.setattr(StoreLater, "schedule",
                        lambda self, view: scheduled.append(view.lead.id))
    app, spy, _ = inproc
    # A read preempted by another process looks like one waiting for the disk, and such
    # reads of rows are left to worker threads for a while: not what this test is about.
    monkeypatch.setattr(app.state.leadhub.docs.cold, "inline", lambda: True)
    auth = {"Authorization": f"Bearer {p.token}"}
    # The lanes answer for credentials the server has seen: let it see this one.
    assert _get(app, f"/leads/v1/lead/{made[0].guid}", auth).status_code == 200
    texts.clear()
    calls = spy.calls
    first = _get(app, "/leads/v1/list?sort=lastName&dir=asc", auth)
    assert first.status_code == 200
    assert [lead["lastName"] for lead in first.json()] == [f"Once{i}" for i in range(4)]
    assert spy.calls == calls and len(texts) == 1 and not queries
    # Each lead read without a document is handed on to be stored (on its second such
    # read: ``LeadDocuments._schedule``).
    assert sorted(scheduled) == sorted(m.lead_id for m in made[1:])


def test_get_lead_of_the_legacy_clients_is_a_point_read(db, inproc, monkeypatch):
    """hubspot3's and hapipy's ``get_lead`` (a list of one ``guids[0]``, the credential
    aside) is answered from the lead's stored document without the list's parsing or
    query; anything else about it (a deleted lead, no stored document, no such lead)
    is the list's own read, which answers it the same as the ordinary stack."""
    if not db.is_sqlite:
        pytest.skip("documents are stored on SQLite only")
    p = make_portal(db, type("S", (), {"url": "http://lists.test"})(), "List lane get_lead")
    live, deleted, bare = (make_lead(db, p.id, lastName=f"Get{i}") for i in range(3))
    app, spy, ordinary = inproc
    monkeypatch.setattr(app.state.leadhub.docs.cold, "inline", lambda: True)
    _put(app, p.token, deleted.guid, {"guid": deleted.guid, "isDeleted": True})
    forget_documents(db, p.id)
    db.write_call(fill, p.id, [live.lead_id, deleted.lead_id])
    auth = {"Authorization": f"Bearer {p.token}"}
    cases = {
        f"guids[0]={live.guid}": True, f"guids[0]=%20{live.guid.upper()}": True,
        f"hapikey={p.token}&guids[0]={live.guid}": True,
        f"guids[0]={deleted.guid}": False, f"guids[0]={bare.guid}": False,
        f"guids[0]={MISSING_GUID}": False, f"guids[0]={live.guid}&max=1": False,
    }
    answers = {q: _shape(_get(ordinary, f"/leads/v1/list?{q}", auth)) for q in cases}
    assert json.loads(answers[f"guids[0]={live.guid}"][2])[0]["guid"] == live.guid
    assert json.loads(answers[f"guids[0]={deleted.guid}"][2]) == []

    def refused(*args: Any) -> Any:
        raise AssertionError("parsed as a list")

    monkeypatch.setattr(listlane, "parse_list", refused)
    for query, point_read in cases.items():
        calls = spy.calls
        fast = _get(app, f"/leads/v1/list?{query}", auth)
        assert _shape(fast) == answers[query], query
        # Anything but the point read is parsed as a list: here, refused and passed on.
        assert (spy.calls == calls) == point_read, query

"""The v1 list's reusable SQLite text returns exactly what the SQLAlchemy query returns.

On SQLite a list whose page has stored documents runs the list query as
text compiled once per shape, with the request's values as parameters
(store/leadlist.py ``sqlite_list_sql``). These tests run both forms on the
same data for every sort and filter the v1 list has, and run the text a
second time with other values, so a text cached for one request cannot
answer another one wrongly.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.datastructures import QueryParams

from leadhub import portals
from leadhub.leads import service
from leadhub.leads.params import SORTS, parse_list
from leadhub.store import Database, objects
from leadhub.store.leadlist import LeadListQuery, list_lead_ids, sqlite_list_sql
from leadhub.store.objects import Change

PEOPLE = [
    # first, last, email, company, extra v1 fields
    ("Ann", "Åberg", "ann@acme.example", "Acme 100%", {"score": "7", "sourceId": 2}),
    ("bob", "smith", "b_o_b@corp.example", "Corp/Inc", {"score": "12", "emailOptOut": True}),
    ("Céline", "Smithson", "celine@ACME.example", "", {"emailBounced": True, "sourceId": 5}),
    ("dan", "Ng", "dan@x.example", "Umbrella", {"closedAt": 1_650_000_000_000}),
    ("Eve", "", "", "Acme", {"imported": True, "score": "3.5"}),
]


@pytest.fixture(scope="module")
def pid(db: Database) -> int:
    if not db.is_sqlite:
        pytest.skip("the reusable list text is SQLite's")

    def setup(conn: Any) -> int:
        pid = portals.create_portal(conn, "List text").id
        for n, (first, last, email, company, extra) in enumerate(PEOPLE):
            values = {"firstName": first, "lastName": last, "email": email, "company": company}
            values.update(extra)
            for i in range(3):  # same people, several leads each, different times
                at = 1_600_000_000_000 + (n * 3 + i) * 86_400_000
                service.create(conn, pid, {**values, "email": email and f"{i}{email}"},
                               Change(at, "API"))
        return pid

    portal_id = int(db.write_call(setup))
    # Archive one lead so includeDeleted makes a difference.
    def archive(conn: Any) -> None:
        q = LeadListQuery(portal_id=portal_id, limit=1)
        lead = service.load(conn, portal_id, list_lead_ids(conn, q))[0].lead
        objects.set_archived(conn, lead, True, 1_700_000_000_000)

    db.write_call(archive)
    return portal_id


def query(portal_id: int, params: dict[str, str]) -> LeadListQuery:
    qp = QueryParams(params)
    return parse_list(portal_id, qp, qp.multi_items())[0].query


def by_text(db: Database, q: LeadListQuery) -> list[int]:
    sql, values = sqlite_list_sql(q)
    assert db.fast_path is not None
    con = sqlite3.connect(db.fast_path)
    try:
        return [r[0] for r in con.execute(sql, values)]
    finally:
        con.close()


def by_query(db: Database, q: LeadListQuery) -> list[int]:
    return db.read_call(list_lead_ids, q)


CASES = [
    *({"sort": s, "dir": d, "max": "100"} for s in SORTS for d in ("asc", "desc")),
    {"search": "acme"},
    {"search": "ACME smith"},
    {"search": "100%"},
    {"search": "b_o"},
    {"search": "_"},
    {"search": "corp/inc"},
    {"search": "/"},
    {"search": "åberg"},
    {"search": "Åberg"},
    {"search": "céline"},
    {"search": "an", "includeDeleted": "true"},
    {"timePivot": "insertedAt", "startTime": "1600100000000", "stopTime": "1600900000000"},
    {"timePivot": "lastModifiedAt", "startTime": "1600100000000"},
    {"timePivot": "closedAt", "stopTime": "1700000000000"},
    {"timePivot": "closedAt", "startTime": "0"},
    {"optOut": "true"}, {"bounced": "true"}, {"isNotImported": "true"},
    {"offset": "4", "max": "5", "sort": "firstName", "dir": "asc"},
    {"offset": "100"},
]


@pytest.mark.parametrize("params", CASES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_text_returns_what_the_query_returns(db, pid, params):
    q = query(pid, params)
    expected = by_query(db, q)
    assert by_text(db, q) == expected
    # The same shape with other values: the cached text must follow them.
    offset = int(params.get("offset", "0")) + 1
    other = query(pid, {**params, "max": "3", "offset": str(offset)})
    assert by_text(db, other) == by_query(db, other) == expected[1:4]


def test_other_search_words_and_windows_reuse_the_text(db, pid):
    for word in ("smith", "SMITHSON", "zzz", "ACME", "%", "x."):
        q = query(pid, {"search": word})
        assert by_text(db, q) == by_query(db, q)
    for start in ("1600000000000", "1601000000000", "1602000000000"):
        q = query(pid, {"startTime": start, "stopTime": "1601500000000"})
        assert by_text(db, q) == by_query(db, q)


@pytest.mark.parametrize("params", CASES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_a_list_restricted_to_lead_ids_returns_what_the_query_returns(db, pid, params):
    """``guids[0]=...`` lists (how the legacy clients get a lead): the ids as one JSON array
    in the reusable text, with every sort and filter, and other ids through the same text."""
    every = by_query(db, query(pid, {"includeDeleted": "true", "max": "100"}))
    assert len(every) == 15
    texts = set()
    for ids in (every[:1], every[3:9], every[::-2], [every[0], every[0], 10**9]):
        q = query(pid, params)
        q.lead_ids = ids
        texts.add(sqlite_list_sql(q)[0])
        assert by_text(db, q) == by_query(db, q), ids
    assert len(texts) == 1


def test_a_list_restricted_to_lead_ids_reads_them_by_id(db, pid):
    """Without statistics SQLite walked the sort's index over the whole portal, testing
    each lead against the ids, rather than read the few leads and sort them."""
    assert db.fast_path is not None
    con = sqlite3.connect(db.fast_path)
    try:
        for params in ({}, {"sort": "lastName"}, {"search": "acme"},
                       {"timePivot": "closedAt", "startTime": "0"}, {"sort": "insertedAt"}):
            q = query(pid, params)
            q.lead_ids = [1, 2]
            sql, values = sqlite_list_sql(q)
            plan = " | ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql, values))
            assert "SEARCH l USING INTEGER PRIMARY KEY (rowid=?)" in plan, (params, plan)
    finally:
        con.close()


@pytest.mark.parametrize("params", CASES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_leaving_out_the_contact_changes_no_list(db, pid, params, monkeypatch):
    """Lists that do not look at the primary contact leave out its join: the same leads in
    the same order as with it (a lead has at most one primary contact)."""
    from leadhub.store import leadlist

    q = query(pid, params)
    as_is = by_query(db, q)
    monkeypatch.setattr(leadlist, "reads_contact", lambda q: True)
    monkeypatch.setattr(leadlist, "_TEXTS", {})
    joined_q = query(pid, params)
    assert by_query(db, joined_q) == as_is
    assert by_text(db, joined_q) == as_is


def test_a_deep_page_that_does_not_look_at_the_contact_reads_one_index(db, pid):
    deep = query(pid, {"offset": "100", "sort": "lastModifiedAt"})
    searched = query(pid, {"offset": "100", "search": "acme"})
    by_contact = query(pid, {"sort": "lastName"})
    assert "associations" not in sqlite_list_sql(deep)[0]
    assert "associations" in sqlite_list_sql(searched)[0]
    assert "associations" in sqlite_list_sql(by_contact)[0]
    sql, values = sqlite_list_sql(deep)
    assert db.fast_path is not None
    con = sqlite3.connect(db.fast_path)
    try:
        plan = " ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql, values))
    finally:
        con.close()
    assert "COVERING INDEX ix_objects_portal_type_updated" in plan, plan


@pytest.mark.parametrize("params", CASES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_searching_the_search_index_copy_finds_what_the_json_finds(db, pid, params):
    """On SQLite the search matches the values contact_search holds; they must be the very
    values the contacts' JSON holds, so both ways give the same leads in the same order."""
    from leadhub.store import leadlist

    q = query(pid, params)
    values = leadlist._values(q)

    def run(search_copy: bool) -> list[int]:
        binds: dict[str, Any] = {}
        stmt = leadlist._select(
            q, lambda name: binds.setdefault(name, sa.bindparam(name, values[name])),
            search_copy=search_copy,
        )
        with db.read() as conn:
            return [r[0] for r in conn.execute(stmt)]

    assert run(search_copy=True) == run(search_copy=False) == by_query(db, q)


def test_the_search_index_copy_follows_every_change(db, pid):
    """Renaming and emptying contacts: the copy the search reads keeps up with the JSON."""
    def setup(conn: Any) -> int:
        own = portals.create_portal(conn, "Search copy").id
        for n, last in enumerate(("Smithson", "Ng", "Smith")):
            values = {"firstName": "Pat", "lastName": last, "email": f"{n}@copy.example"}
            service.create(conn, own, values, Change(1_600_000_000_000 + n, "API"))
        return own

    own = int(db.write_call(setup))

    def rename(conn: Any, old: str, new: str | None) -> None:
        q = query(own, {"search": old, "max": "100"})
        for view in service.load(conn, own, list_lead_ids(conn, q)):
            assert view.contact is not None
            objects.update_props(conn, view.contact, {"lastname": new},
                                 Change(1_800_000_000_000, "API"))

    for old, new in (("Smithson", "Zed\u00e9"), ("Ng", None)):
        db.write_call(rename, old, new)
        for word in (old, "zed\u00e9", "ZED", "ng", "smith"):
            q = query(own, {"search": word})
            assert by_text(db, q) == by_query(db, q)
    assert len(by_query(db, query(own, {"search": "smith"}))) == 1
    assert len(by_query(db, query(own, {"search": "zed\u00e9"}))) == 1
    assert by_query(db, query(own, {"search": "ng"})) == []

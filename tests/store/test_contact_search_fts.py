"""The trigram index of contact names (SQLite) never changes what a v1 search finds.

``contact_search`` (migration 0008) only narrows a search's candidates; the
LIKE match still decides. These tests check both halves: the index holds
exactly the four searched values of every contact after every kind of write
(insert, update through the store, v1 import, archive, permanent delete),
and a list answered through the index equals the same list answered by the
LIKE scan alone, on data chosen to trip a case-folding or substring
difference (non-ASCII letters, terms spanning two properties, quotes, LIKE
wildcards, words too short for trigrams).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from starlette.datastructures import QueryParams

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.leads import service
from leadhub.leads.importer import import_batch
from leadhub.leads.params import parse_list
from leadhub.store import Database, crm_purge, leadlist
from leadhub.store import objects as obj_store
from leadhub.store.leadlist import (
    SEARCHED_PROPS,
    LeadListQuery,
    fts_query,
    list_lead_ids,
    plan_search,
    sqlite_list_sql,
)
from leadhub.store.objects import Change

PEOPLE = [
    ("Ann", "Åberg", "ann@acme.example", "Acme 100%"),
    ("ÅSA", "Lindqvist", "asa.l@corp.example", "Corp/Inc"),
    ("bob", "Smith", "b_o_b@corp.example", 'Quote "Q" Ltd'),
    ("Céline", "SMITHSON", "celine@ACME.example", ""),
    ("Dan", "Annsmith", "dan@x.example", "Straße GmbH"),
    ("Ëve", "Ng", "", "ÉCOLE"),
]

SEARCHES = [
    "ann", "ANN", "åberg", "Åberg", "ÅBERG", "asa", "åsa", "Åsa", "smith", "SMITHSON",
    "annsmith", "nnsmi", "ann smith", "acme 100%", "100%", "b_o_b", "o_b", "corp/inc",
    '"q"', 'quote "q"', "straße", "STRASSE", "strasse", "école", "ÉCOLE", "cole", "ëve",
    "ve", "an", "a", "x.example", "lindqvist", "qvist", "zzz", "@acme.", "smith zzz",
]


@pytest.fixture(scope="module")
def pid(db: Database) -> int:
    if not db.is_sqlite:
        pytest.skip("contact_search is SQLite's; PostgreSQL has pg_trgm indexes")

    def setup(conn: Any) -> int:
        pid = portals.create_portal(conn, "FTS").id
        for first, last, email, company in PEOPLE:
            values = {"firstName": first, "lastName": last, "email": email, "company": company}
            service.create(conn, pid, values, Change(1_600_000_000_000, "API"))
        return pid

    return int(db.write_call(setup))


def index_rows(db: Database) -> dict[int, tuple[Any, ...]]:
    assert db.fast_path is not None
    con = sqlite3.connect(db.fast_path)
    try:
        cols = ", ".join(SEARCHED_PROPS)
        return {r[0]: r[1:] for r in con.execute(f"SELECT rowid, {cols} FROM contact_search")}
    finally:
        con.close()


def contact_values(db: Database) -> dict[int, tuple[Any, ...]]:
    def read(conn: Any) -> dict[int, tuple[Any, ...]]:
        rows = conn.execute(
            obj_store.objects.select().where(obj_store.objects.c.object_type == ct.CONTACTS)
        )
        return {r.id: tuple(r.props.get(p) for p in SEARCHED_PROPS) for r in rows}

    return dict(db.read_call(read))


def query(portal_id: int, search: str, **extra: str) -> LeadListQuery:
    qp = QueryParams({"search": search, "max": "100", "sort": "lastName", **extra})
    return parse_list(portal_id, qp, qp.multi_items())[0].query


def run(db: Database, q: LeadListQuery) -> list[int]:
    sql, values = sqlite_list_sql(q)
    assert db.fast_path is not None
    con = sqlite3.connect(db.fast_path)
    try:
        return [r[0] for r in con.execute(sql, values)]
    finally:
        con.close()


def by_index_and_by_scan(db: Database, q: LeadListQuery) -> tuple[list[int], list[int]]:
    q.fts = None
    scanned = run(db, q)
    q.fts = fts_query(q.search)
    return (run(db, q) if q.fts is not None else scanned), scanned


def test_index_holds_every_contact_after_every_kind_of_write(db, pid):
    assert index_rows(db) == contact_values(db)

    def change(conn: Any) -> None:
        ids = list_lead_ids(conn, LeadListQuery(portal_id=pid, limit=100))
        views = service.load(conn, pid, ids)
        contacts = [v.contact for v in views if v.contact is not None]
        at = Change(1_600_000_001_000, "API")
        obj_store.update_props(conn, contacts[0], {"firstname": "Renamed", "company": None}, at)
        obj_store.update_props(conn, contacts[1], {"jobtitle": "not searched"}, at)
        obj_store.set_archived(conn, contacts[2], True, 1_600_000_001_000)
        crm_purge.purge(conn, pid, ct.CONTACTS, contacts[3].id)
        import_batch(conn, pid, [
            (2, {"email": "imported@new.example", "firstName": "Ímport", "lastName": "Ed"}),
            (3, {"email": "ann@acme.example", "company": "Reimported Co"}),
        ], Change(1_600_000_002_000, "IMPORT"))

    db.write_call(change)
    assert index_rows(db) == contact_values(db)


@pytest.mark.parametrize("search", SEARCHES)
def test_a_search_through_the_index_finds_what_the_scan_finds(db, pid, search):
    for extra in ({}, {"includeDeleted": "true", "dir": "desc"}):
        through_index, scanned = by_index_and_by_scan(db, query(pid, search, **extra))
        assert through_index == scanned


def test_words_too_short_for_trigrams_are_left_to_the_scan():
    assert fts_query(["an", "a"]) is None
    assert fts_query(["an", "Smith"]) == '"Smith"'
    assert fts_query(['say"hi']) == '"say""hi"'


def test_the_plan_uses_the_index_for_rare_words_only(db, pid, monkeypatch):
    monkeypatch.setattr(leadlist, "FTS_CAP", 2)
    monkeypatch.setattr(leadlist, "_fts_plans", {})
    assert db.fast_path is not None
    con = sqlite3.connect(db.fast_path)
    try:
        def rows(sql: str, args: tuple[Any, ...]) -> list[Any]:
            return con.execute(sql, args).fetchall()

        rare, common, short = query(pid, "lindqvist"), query(pid, "acme"), query(pid, "an")
        for q in (rare, common, short):
            plan_search(q, rows)
        assert (rare.fts, common.fts, short.fts) == ('"lindqvist"', None, None)
        # The same answers whichever way the list goes, through the ordinary path too.
        for q in (rare, common):
            assert run(db, q) == db.read_call(list_lead_ids, q)
    finally:
        con.close()

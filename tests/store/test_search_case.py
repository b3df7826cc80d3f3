"""The v1 search ignores the case its store's own ``lower()`` folds, and no other.

docs/decisions.md (``search``): on SQLite the case of ASCII letters only (its
``LIKE`` and ``lower()`` fold only those, so ``åberg`` does not find
``Åberg``); on PostgreSQL the letters the database's character type folds.
Each store is asked here what its ``lower()`` makes of every value and word,
and a search must find exactly the leads whose values, so folded, contain the
word, so folded.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from starlette.datastructures import QueryParams

from leadhub import portals
from leadhub.leads import service
from leadhub.leads.params import parse_list
from leadhub.store import Database
from leadhub.store.leadlist import LeadListQuery, list_lead_ids
from leadhub.store.objects import Change

PEOPLE = [
    # first, last, email, company
    ("Ann", "Åberg", "ann@acme.example", "Acme"),
    ("ÅSA", "åberg", "asa@corp.example", "CORP"),
    ("Céline", "SMITH", "celine@x.example", "École"),
    ("dan", "Smith", "DAN@Y.EXAMPLE", "école"),
]

WORDS = ["ann", "ANN", "åberg", "Åberg", "ÅBERG", "åsa", "smith", "SMITH", "céline",
         "CÉLINE", "école", "ÉCOLE", "cole", "dan@y", "acme", "zzz"]


@pytest.fixture(scope="module")
def leads(db: Database) -> tuple[int, dict[int, tuple[str, ...]]]:
    """The portal, and each lead's searched values."""

    def setup(conn: Any) -> tuple[int, dict[int, tuple[str, ...]]]:
        pid = portals.create_portal(conn, "Search case").id
        values = {}
        for first, last, email, company in PEOPLE:
            lead = service.create(
                conn, pid,
                {"firstName": first, "lastName": last, "email": email, "company": company},
                Change(1_600_000_000_000, "API"),
            )
            values[lead.lead.id] = (first, last, email, company)
        return pid, values

    return db.write_call(setup)


def folded(db: Database, texts: list[str]) -> dict[str, str]:
    """What the store's own ``lower()`` makes of each text."""

    def read(conn: Any) -> dict[str, str]:
        return {t: conn.execute(sa.select(sa.func.lower(sa.literal(t)))).scalar_one()
                for t in texts}

    return dict(db.read_call(read))


def search(db: Database, pid: int, word: str) -> set[int]:
    qp = QueryParams({"search": word, "max": "100"})
    q: LeadListQuery = parse_list(pid, qp, qp.multi_items())[0].query
    return set(db.read_call(list_lead_ids, q))


@pytest.mark.parametrize("word", WORDS)
def test_a_search_folds_what_the_store_folds(db, leads, word):
    pid, values = leads
    lower = folded(db, [word, *(v for vs in values.values() for v in vs)])
    expected = {lead for lead, vs in values.items() if any(lower[word] in lower[v] for v in vs)}
    assert search(db, pid, word) == expected


def test_the_documented_case_of_each_store(db, leads):
    """SQLite folds ASCII only; PostgreSQL folds Å where its character type does (as
    C.UTF-8 does)."""
    pid, values = leads
    by_last = {vs[1]: lead for lead, vs in values.items()}
    assert search(db, pid, "ANN") == {by_last["Åberg"]}
    assert search(db, pid, "Smith") == {by_last["SMITH"], by_last["Smith"]}
    pg_folds = not db.is_sqlite and folded(db, ["Å"])["Å"] == "å"
    assert search(db, pid, "åberg") == (
        {by_last["Åberg"], by_last["åberg"]} if pg_folds else {by_last["åberg"]}
    )
    if db.is_sqlite:
        assert search(db, pid, "ÉCOLE") == {by_last["SMITH"]}

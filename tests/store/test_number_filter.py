"""Numeric filters and sorts on stored text: what is a number, and its value, on both stores.

A number property's stored text is a number unless the property's type was
changed; text that is not a number (``NUMBER_RE`` in full) is no value. The
store decides this in SQL (``store.sql.number_value``); these tests hold it
to Python's judgement of the same expression and Python's ``float()``.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import pytest
import sqlalchemy as sa

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.store import Database
from leadhub.store import objects as obj_store
from leadhub.store.crm_query import Cond, SearchQuery, search_ids
from leadhub.store.objects import Change
from leadhub.store.sql import NUMBER_RE, number_value

PROP = "leadhub_raw_score"

# Text a number property may hold once its type was changed, and stored numbers.
TRICKY = [
    "1e3", "1E3", "1e+3", "1e-3", "2.5E-1", ".5", "-.5", "-2", "5.", "-5.", "5.e2", "0", "-0",
    "00012", "0.1", "250", "250.0", "2.5e2", "249.999", "1.5e-07", "12345678901234567890123",
    "9" * 400, "-" + "9" * 400, "1" + "0" * 400, "0." + "0" * 400 + "1", "1e400", "-1e400",
    "1e-400", "1e0999", "1e99999999999999999999", "7" * 150 + "." + "3" * 150,
    "abc", "", " 5", "5 ", "5\n", "\t5", "+5", "1e", "1e+", "1e-", "e5", ".e5", "-.e5", ".",
    "-", "--1", "-+1", "5-", "1-2", "5..", "1.2.3", "1e5.", "1e5e5", "1e.5", "0x10", "0b1",
    "Infinity", "-Infinity", "inf", "NaN", "nan", "1_000", "1,5", "\u0663", "\u00b2", "5\u00a0",
    "\uff15", "null", "true",
]


def python_value(text: str) -> float | None:
    """The value a number filter sees: ``float(text)`` where the text is a number."""
    return float(text) if re.fullmatch(NUMBER_RE, text) else None


@pytest.fixture(scope="module")
def tricky(db: Database) -> tuple[int, dict[int, str]]:
    """A portal with one lead per tricky value (and one without the property)."""

    def setup(conn: Any) -> tuple[int, dict[int, str]]:
        pid = portals.create_portal(conn, "Numbers").id
        ids = {}
        for i, text in enumerate(TRICKY):
            row = obj_store.insert(conn, pid, ct.LEADS, {"hs_lead_name": f"n{i}", PROP: text},
                                   Change(1, "API"))
            ids[row.id] = text
        obj_store.insert(conn, pid, ct.LEADS, {"hs_lead_name": "none"}, Change(1, "API"))
        return pid, ids

    return db.write_call(setup)


def _search(db: Database, pid: int, *conds: Cond, descending: bool | None = None) -> list[int]:
    sort = ("number", PROP) if descending is not None else None
    q = SearchQuery(pid, ct.LEADS, [list(conds)] if conds else [], sort=sort,
                    descending=bool(descending), limit=200)
    ids, total = db.read_call(search_ids, q)
    assert total == len(ids)
    return ids


def _expected(ids: dict[int, str], keep: Any) -> list[int]:
    return sorted(i for i, text in ids.items()
                  if (v := python_value(text)) is not None and keep(v))


OPS: list[tuple[str, tuple[float, ...], Any]] = [
    ("GTE", (250.0,), lambda v: v >= 250),
    ("GT", (0.0,), lambda v: v > 0),
    ("LT", (0.0,), lambda v: v < 0),
    ("LTE", (1.0,), lambda v: v <= 1),
    ("EQ", (1000.0,), lambda v: v == 1000),
    ("EQ", (0.0,), lambda v: v == 0),
    ("BETWEEN", (0.001, 0.5), lambda v: 0.001 <= v <= 0.5),
    ("IN", (5.0, 12.0, -2.0), lambda v: v in (5, 12, -2)),
    ("GTE", (-math.inf,), lambda v: True),
]


@pytest.mark.parametrize(("op", "values", "keep"), OPS, ids=[f"{o[0]}{o[1]}" for o in OPS])
def test_number_filters_match_python(db: Database, tricky: Any, op: str, values: Any,
                                     keep: Any) -> None:
    pid, ids = tricky
    found = _search(db, pid, Cond("number", PROP, op, values))  # type: ignore[arg-type]
    assert sorted(found) == _expected(ids, keep), [ids[i][:20] for i in found]


def test_not_a_number_is_no_value(db: Database, tricky: Any) -> None:
    pid, ids = tricky
    missing = max(ids) + 1
    # NEQ matches other numbers and objects without the property, not text that is
    # no number; HAS_PROPERTY sees the text.
    found = _search(db, pid, Cond("number", PROP, "NEQ", (1000.0,)))
    assert sorted(found) == _expected(ids, lambda v: v != 1000) + [missing]
    found = _search(db, pid, Cond("number", PROP, "NOT_IN", (1000.0, 0.0)))
    assert sorted(found) == _expected(ids, lambda v: v not in (1000, 0)) + [missing]
    assert sorted(_search(db, pid, Cond("number", PROP, "HAS_PROPERTY"))) == sorted(ids)


@pytest.mark.parametrize("descending", [False, True])
def test_number_sort_matches_python(db: Database, tricky: Any, descending: bool) -> None:
    pid, ids = tricky
    numbers = [i for i, text in ids.items() if python_value(text) is not None]
    # Equal values in id order, as the store breaks ties; no value last.
    expected = sorted(numbers, key=lambda i: (python_value(ids[i]), i), reverse=descending)
    rest = sorted(set(ids) - set(numbers) | {max(ids) + 1}, reverse=descending)
    assert _search(db, pid, descending=descending) == expected + rest


def test_every_short_text_is_judged_as_python_does(db: Database) -> None:
    """All texts up to four characters over the characters that make numbers."""
    alphabet = "0.5eE+-x"
    texts = ["".join(t) for n in range(5) for t in itertools.product(alphabet, repeat=n)]

    def judge(conn: Any) -> dict[int, float | None]:
        table = sa.Table("number_texts", sa.MetaData(), sa.Column("i", sa.Integer),
                         sa.Column("t", sa.Text), prefixes=["TEMPORARY"])
        table.create(conn)
        conn.execute(table.insert(), [{"i": i, "t": t} for i, t in enumerate(texts)])
        got = dict(conn.execute(sa.select(table.c.i, number_value(table.c.t))).all())
        table.drop(conn)
        return got

    got = db.write_call(judge)
    wrong = {t: got[i] for i, t in enumerate(texts) if got[i] != python_value(t)}
    assert not wrong, list(wrong.items())[:20]


@pytest.mark.parametrize("text", [
    # Around the largest double and the smallest, where a cast can fail on PostgreSQL:
    # the midpoints round away (to infinity) and to even (zero), as float() does.
    "1.7976931348623157e308", "1.7976931348623158e308",
    "1.797693134862315807937289714053034150799341327100378269361737789804449682927647509466"
    "490179775872070963302864166928879109465555478519404026306574886715058206819089020007083"
    "836762738548458177115317644757302700698555713669596228429148198608349364752927190741684"
    "443655107043427115596995080930428801779041744977919999e308",
    "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649"
    "017977587207096330286416692887910946555547851940402630657488671505820681908902000708383"
    "676273854845817711531764475730270069855571366959622842914819860834936475292719074168444"
    "365510704342711559699508093042880177904174497792",
    "-1e309", "4.9e-324", "5e-324", "2.4703282292062328e-324", "2.4703282292062327e-324",
    "0." + "0" * 323 + "3", "-0." + "0" * 323 + "2", "1e-325", "0e-99999",
])
def test_values_at_the_edge_of_the_double_range(db: Database, text: str) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite's own text-to-double conversion decides these; it may differ "
                    "from float() in the last place near the smallest double")
    got = db.read_call(lambda conn: conn.execute(
        sa.select(number_value(sa.literal(text, sa.Text)))).scalar_one())
    assert got == python_value(text)


@pytest.mark.parametrize("by_value", [False, True], ids=["by id", "by value"])
@pytest.mark.parametrize("offset", [0, 5, 13, 25, 26, 40])
def test_total_on_every_page(db: Database, tricky: Any, offset: int, by_value: bool) -> None:
    """The total comes with the page (sorted by value: one pass), or from a count."""
    pid, ids = tricky
    cond = Cond("number", PROP, "GTE", (0.0,))
    expected = _expected(ids, lambda v: v >= 0)
    if by_value:
        expected.sort(key=lambda i: (python_value(ids[i]), i))
    assert len(expected) == 26
    q = SearchQuery(pid, ct.LEADS, [[cond]], sort=("number", PROP) if by_value else None,
                    offset=offset, limit=13)
    page, total = db.read_call(search_ids, q)
    assert (page, total) == (expected[offset:offset + 13], 26)

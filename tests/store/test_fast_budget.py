"""A read on the event loop's connection stops at its budget and leaves the connection
as it was: the list page that went past it is read again in a worker thread."""

from __future__ import annotations

import pytest

from leadhub.store.sqliteraw import TooLong

# A statement of about a million SQLite steps.
LONG = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) "
    "SELECT count(*) FROM n"
)


def test_a_read_past_its_budget_stops_and_the_connection_stays_usable(db) -> None:
    if not db.fast_path:
        pytest.skip("the event loop's own connection is SQLite's")
    assert db.fast_rows(LONG, ()) == [(200000,)]
    db.fast_rows("BEGIN", ())
    try:
        with pytest.raises(TooLong):
            with db.fast_budget(10_000):
                db.fast_rows("SELECT 1", ())
                db.fast_rows(LONG, ())
    finally:
        db.fast_rows("COMMIT", ())
    # No budget left behind, no transaction left open.
    db.fast_rows("BEGIN", ())
    assert db.fast_rows(LONG, ()) == [(200000,)]
    db.fast_rows("COMMIT", ())
    with db.fast_budget(10_000_000):
        assert db.fast_rows(LONG, ()) == [(200000,)]


def test_other_errors_inside_a_budget_are_not_too_long(db) -> None:
    if not db.fast_path:
        pytest.skip("the event loop's own connection is SQLite's")
    with pytest.raises(Exception) as caught:
        with db.fast_budget(10_000):
            db.fast_rows("SELECT * FROM no_such_table", ())
    assert not isinstance(caught.value, TooLong)


def test_short_statements_never_use_up_a_budget(db) -> None:
    """Each statement run may call the budget's handler once at once (its step count
    runs on over all its runs), so a budget counts one call per statement: a point read
    of a hundred steps in seven statements must never stop, however their counts line
    up. With one call for all of them, such reads stopped every few thousand."""
    if not db.fast_path:
        pytest.skip("the event loop's own connection is SQLite's")
    short = [f"SELECT {n} + count(*) FROM (SELECT 1 UNION ALL SELECT 2)" for n in range(7)]
    for _ in range(5_000):
        with db.fast_budget(10_000, statements=len(short)):
            for sql in short:
                db.fast_rows(sql, ())

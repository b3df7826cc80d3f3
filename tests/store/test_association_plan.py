"""Associations leaving an object are read through the primary key, whatever the filters.

``GET /crm/v3/objects/leads/{id}?associations=contacts`` answered 13 requests
a second on 100,000 leads: the statement that reads an object's associations
ended in ``ORDER BY from_id, to_id, type_id``, and for one object SQLite's
planner, which has no statistics, preferred ``ix_associations_to`` (it yields
that order without a sort) to the primary key, and walked every association
of the portal. The test captures the statement each variant of
``associations.targets`` sends, for one object and for several, and asks
SQLite how it would run it (PostgreSQL plans by its statistics); it also
checks the order the rows come back in, which the readers rely on.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from leadhub import portals
from leadhub.store import Database, crm_purge
from leadhub.store import associations as assoc_store
from leadhub.store.schema import associations, objects

PRIMARY_KEY = "sqlite_autoindex_associations_1 (portal_id=? AND from_id=?"


def _all_sent(db: Database, run: Any) -> tuple[Any, list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if "FROM associations" in statement:
            sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.write() as conn:
            out = run(conn)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    return out, sent


def _sent(db: Database, read: Any) -> tuple[list[Any], tuple[str, Any]]:
    rows, sent = _all_sent(db, read)
    assert len(sent) == 1, sent
    return rows, sent[0]


def _plan(db: Database, statement: str, parameters: Any) -> str:
    with db.read() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return " ".join(str(r[3]) for r in rows)


def _fill(conn: Any) -> int:
    portal = portals.create_portal(conn, "association plan")
    rows = [
        {"portal_id": portal.id, "from_id": lead, "type_id": type_id, "to_id": contact,
         "category": "HUBSPOT_DEFINED", "from_type": "0-136", "to_type": "0-1",
         "created_at": 1}
        for lead in range(1, 41)
        for contact in (900 + lead % 3, 800 + lead % 5)
        for type_id in (578, 608)
    ]
    conn.execute(sa.insert(associations), rows)
    return portal.id


@pytest.mark.parametrize("ids", [[7], [7, 12, 3]])
@pytest.mark.parametrize("filters", [
    {}, {"type_id": 578}, {"to_type": "0-1"}, {"type_id": 608, "to_type": "0-1"},
])
def test_targets_read_the_primary_key_in_the_readers_order(
    db: Database, ids: list[int], filters: dict[str, Any]
) -> None:
    pid = db.write_call(_fill)
    rows, (statement, parameters) = _sent(
        db, lambda conn: assoc_store.targets(conn, pid, ids, **filters)
    )
    keys = [(r.from_id, r.to_id, r.type_id) for r in rows]
    expected = sorted(
        (lead, contact, type_id)
        for lead in ids
        for contact in (900 + lead % 3, 800 + lead % 5)
        for type_id in (578, 608)
        if filters.get("type_id") in (None, type_id)
    )
    assert keys == expected
    if not db.is_sqlite:
        return
    plan = _plan(db, statement, parameters)
    assert PRIMARY_KEY in plan, plan
    assert "ix_associations_to" not in plan, plan


def _pair_count(db: Database, pid: int, a: int, b: int) -> int:
    with db.read() as conn:
        return int(conn.execute(
            sa.select(sa.func.count()).select_from(associations).where(
                associations.c.portal_id == pid,
                sa.or_(
                    sa.and_(associations.c.from_id == a, associations.c.to_id == b),
                    sa.and_(associations.c.from_id == b, associations.c.to_id == a),
                ),
            )
        ).scalar_one())


def _link_both_ways(conn: Any, pid: int, lead: int, contact: int) -> None:
    conn.execute(sa.insert(associations), [
        {"portal_id": pid, "from_id": lead, "type_id": t, "to_id": contact,
         "category": "HUBSPOT_DEFINED", "from_type": "0-136", "to_type": "0-1", "created_at": 1}
        for t in (578, 608)
    ] + [
        {"portal_id": pid, "from_id": contact, "type_id": t, "to_id": lead,
         "category": "HUBSPOT_DEFINED", "from_type": "0-1", "to_type": "0-136", "created_at": 1}
        for t in (579, 609)
    ])


def test_removals_delete_by_the_primary_key_one_direction_at_a_time(db: Database) -> None:
    pid = db.write_call(_fill)
    db.write_call(_link_both_ways, pid, 5001, 6001)
    db.write_call(_link_both_ways, pid, 5002, 6002)
    kind = assoc_store.AssociationType(578, 579, "HUBSPOT_DEFINED")
    removed, sent = _all_sent(db, lambda conn: assoc_store.remove(conn, pid, 5001, 6001, kind))
    assert removed is True
    assert _pair_count(db, pid, 5001, 6001) == 2  # 608 and 609 stay
    again, _ = _all_sent(db, lambda conn: assoc_store.remove(conn, pid, 5001, 6001, kind))
    assert again is False
    count, sent_pair = _all_sent(db, lambda conn: assoc_store.remove_pair(conn, pid, 5002, 6002))
    assert count == 4 and _pair_count(db, pid, 5002, 6002) == 0
    assert _pair_count(db, pid, 5001, 6001) == 2  # the other pair is untouched
    assert len(sent) == 2 and len(sent_pair) == 2
    if not db.is_sqlite:
        return
    for statement, parameters in sent + sent_pair:
        plan = _plan(db, statement, parameters)
        assert PRIMARY_KEY in plan, plan  # one object's rows, not the portal's


def test_a_page_of_targets_reads_the_objects_own_associations(db: Database) -> None:
    pid = db.write_call(_fill)
    lead = 9001
    contacts = [7003, 7001, 7002, 7005, 7004]
    with db.write() as conn:
        for contact in contacts:
            _link_both_ways(conn, pid, lead, contact)
            conn.execute(sa.insert(objects), {
                "id": contact, "portal_id": pid, "object_type": "0-1", "props": {},
                "created_at": 1, "updated_at": 1, "archived": contact == 7004,
            })
    (first, cursor), sent = _all_sent(
        db, lambda conn: assoc_store.page(conn, pid, lead, "0-1", after=None, limit=2)
    )
    assert list(first) == [7001, 7002] and cursor == 7002
    assert [r.type_id for r in first[7001]] == [578, 608]
    (rest, end), _ = _all_sent(
        db, lambda conn: assoc_store.page(conn, pid, lead, "0-1", after=cursor, limit=2)
    )
    assert list(rest) == [7003, 7005] and end is None  # 7004 is archived
    if not db.is_sqlite:
        return
    statement, parameters = next(s for s in sent if "DISTINCT" in s[0])
    plan = _plan(db, statement, parameters)
    assert PRIMARY_KEY in plan, plan
    assert "ix_associations_to" not in plan, plan


def test_a_purge_deletes_the_objects_associations_by_index(db: Database) -> None:
    pid = db.write_call(_fill)
    db.write_call(_link_both_ways, pid, 5001, 6001)
    db.write_call(_link_both_ways, pid, 5002, 6001)
    _, sent = _all_sent(db, lambda conn: crm_purge.purge(conn, pid, "0-1", 6001))
    assert _pair_count(db, pid, 5001, 6001) == _pair_count(db, pid, 5002, 6001) == 0
    with db.read() as conn:
        left = conn.execute(
            sa.select(sa.func.count()).select_from(associations)
            .where(associations.c.portal_id == pid)
        ).scalar_one()
    assert left == 40 * 2 * 2  # what _fill made is untouched
    if not db.is_sqlite:
        return
    plans = [_plan(db, s, p) for s, p in sent if s.lstrip().upper().startswith("DELETE")]
    assert len(plans) == 2, plans
    assert PRIMARY_KEY in plans[0], plans
    assert "ix_associations_to (portal_id=? AND to_id=?)" in plans[1], plans

"""Concurrent writers on one store: the database, not luck, keeps the invariants.

Each test starts several threads at once (a barrier), each in a write
transaction of its own that holds its change open for a moment, so that on
PostgreSQL every transaction has done its reads before any commits. A
check-then-insert fails there with a unique violation or stores a row twice;
a read-modify-write without a row lock loses updates. SQLite serializes write
transactions, and the same invariants must hold there too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.leads import service
from leadhub.store import Database
from leadhub.store import associations as assoc_store
from leadhub.store import objects as obj_store
from leadhub.store import uniquevalues as unique_store
from leadhub.store.events import ConversionEvent
from leadhub.store.objects import Change
from leadhub.store.schema import associations, conversion_events, objects, unique_values
from leadhub.util import new_guid, now_ms

T = TypeVar("T")
THREADS = 8
HOLD_S = 0.2  # keep each transaction open so that the others overlap it


def _portal(db: Database) -> int:
    return db.write_call(lambda conn: portals.create_portal(conn, "Concurrency").id)


def _race(db: Database, work: Callable[[Any, int], T]) -> list[T]:
    """Run ``work(conn, i)`` in THREADS write transactions started together."""
    barrier = threading.Barrier(THREADS)

    def one(i: int) -> T:
        barrier.wait(timeout=30)
        with db.write() as conn:
            result = work(conn, i)
            time.sleep(HOLD_S)
            return result

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(THREADS)))


def _change() -> Change:
    return Change(now_ms(), "API", "test")


def test_one_unique_value_claimed_by_many(db: Database) -> None:
    pid = _portal(db)

    def claim(conn: Any, i: int) -> tuple[int, int]:
        row = obj_store.insert(conn, pid, ct.CONTACTS, {"n": str(i)}, _change())
        return row.id, unique_store.claim_unique(
            conn, pid, ct.CONTACTS, "email", "same@example.com", row.id
        )

    results = _race(db, claim)
    holders = {holder for _, holder in results}
    assert len(holders) == 1
    (holder,) = holders
    assert sum(1 for own, h in results if own == h) == 1
    stored = db.read_call(
        lambda conn: conn.execute(
            sa.select(unique_values.c.object_id).where(unique_values.c.portal_id == pid)
        ).scalars().all()
    )
    assert stored == [holder]


def test_set_unique_reports_the_winner(db: Database) -> None:
    pid = _portal(db)

    def set_email(conn: Any, i: int) -> tuple[int, int | None]:
        row = obj_store.insert(conn, pid, ct.CONTACTS, {}, _change())
        return row.id, unique_store.set_unique(conn, row, "email", "race@example.com")

    results = _race(db, set_email)
    winners = [own for own, other in results if other is None]
    assert len(winners) == 1
    assert all(other == winners[0] for _, other in results if other is not None)


def test_leads_created_at_once_for_one_email_share_one_contact(db: Database) -> None:
    pid = _portal(db)

    def create(conn: Any, i: int) -> tuple[int, int]:
        view = service.create(
            conn, pid, {"email": " Person@Example.com ", "firstName": f"F{i}"}, _change()
        )
        assert view.contact is not None
        return view.lead.id, view.contact.id

    results = _race(db, create)
    assert len({contact for _, contact in results}) == 1
    assert len({lead for lead, _ in results}) == THREADS

    def contacts(conn: Any) -> list[int]:
        return conn.execute(
            sa.select(objects.c.id).where(
                objects.c.portal_id == pid, objects.c.object_type == ct.CONTACTS
            )
        ).scalars().all()

    assert db.read_call(contacts) == [results[0][1]]
    found = db.read_call(service.find_lead_id, pid, email="person@example.com")
    assert found in {lead for lead, _ in results}


def test_conversion_events_added_at_once_are_all_counted(db: Database) -> None:
    pid = _portal(db)
    lead = db.write_call(
        lambda conn: service.create(conn, pid, {"email": "count@example.com"}, _change()).lead
    )
    guids = [new_guid() for _ in range(THREADS)]

    def convert(conn: Any, i: int) -> bool:
        # A row read before the others commit, as a worker holding a stale copy has it.
        row = obj_store.get(conn, pid, ct.LEADS, lead.id)
        assert row is not None
        time.sleep(HOLD_S)
        event = ConversionEvent(guids[i], lead.id, 1_600_000_000_000 + i, "fg", 1, "Form")
        return service.add_conversion_event(conn, row, event, _change())

    assert _race(db, convert) == [True] * THREADS
    row = db.read_call(obj_store.get, pid, ct.LEADS, lead.id)
    assert row is not None
    assert row.props["leadhub_num_conversion_events"] == str(THREADS)
    assert row.props["leadhub_last_converted_at"] > row.props["leadhub_first_converted_at"]


def test_one_conversion_event_stored_by_many(db: Database) -> None:
    pid = _portal(db)
    lead = db.write_call(
        lambda conn: service.create(conn, pid, {"email": "once@example.com"}, _change()).lead
    )
    guid = new_guid()

    def convert(conn: Any, i: int) -> bool:
        row = obj_store.get(conn, pid, ct.LEADS, lead.id)
        event = ConversionEvent(guid, lead.id, 1_600_000_000_000, "fg", 1, "Form")
        return service.add_conversion_event(conn, row, event, _change())

    assert sorted(_race(db, convert)) == [False] * (THREADS - 1) + [True]
    count = db.read_call(
        lambda conn: conn.execute(
            sa.select(sa.func.count()).where(conversion_events.c.guid == guid)
        ).scalar_one()
    )
    assert count == 1
    row = db.read_call(obj_store.get, pid, ct.LEADS, lead.id)
    assert row is not None and row.props["leadhub_num_conversion_events"] == "1"


def test_one_association_added_by_many(db: Database) -> None:
    pid = _portal(db)
    lead, contact = db.write_call(
        lambda conn: (
            obj_store.insert(conn, pid, ct.LEADS, {}, _change()),
            obj_store.insert(conn, pid, ct.CONTACTS, {}, _change()),
        )
    )
    kind = assoc_store.AssociationType(ct.LEAD_TO_CONTACT, ct.CONTACT_TO_LEAD)

    def add(conn: Any, i: int) -> bool:
        return assoc_store.add(conn, pid, ct.LEADS, lead.id, ct.CONTACTS, contact.id, kind, 1)

    assert sorted(_race(db, add)) == [False] * (THREADS - 1) + [True]
    rows = db.read_call(
        lambda conn: conn.execute(
            sa.select(associations.c.from_id, associations.c.type_id).where(
                associations.c.portal_id == pid
            )
        ).all()
    )
    assert sorted(rows) == sorted(
        [(lead.id, ct.LEAD_TO_CONTACT), (contact.id, ct.CONTACT_TO_LEAD)]
    )


def test_sqlite_writers_of_one_process_queue_in_the_process(
    tmp_path: Any, monkeypatch: Any
) -> None:
    """Writers of one process wait for each other on a lock of the process.

    SQLite's busy handler polls with sleeps of up to 100 ms; writers that
    wait in it under load take seconds. With no busy timeout at all, every
    writer that overlaps another would fail with "database is locked" unless
    the process queues them itself.
    """
    from leadhub.store import writegroups
    from leadhub.store.migrate import upgrade
    from leadhub.store.schema import portals as portals_table

    monkeypatch.setattr(writegroups, "SQLITE_BUSY_TIMEOUT_MS", 0)
    database = Database(f"sqlite:///{tmp_path / 'queue.db'}")
    try:
        upgrade(database)
        portal_id = _portal(database)
        barrier = threading.Barrier(THREADS)

        def one(i: int) -> None:
            barrier.wait(timeout=30)
            with database.write() as conn:
                conn.execute(sa.update(portals_table).where(
                    portals_table.c.id == portal_id).values(name=f"w{i}"))
                time.sleep(0.05)

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(one, range(THREADS)))
        with database.read() as conn:
            name = conn.execute(sa.select(portals_table.c.name).where(
                portals_table.c.id == portal_id)).scalar_one()
        assert name in {f"w{i}" for i in range(THREADS)}
    finally:
        database.dispose()


def test_sqlite_writer_waiting_too_long_is_told_the_store_is_busy(
    tmp_path: Any, monkeypatch: Any
) -> None:
    """A writer that cannot have the process's lock in time fails as SQLite's busy timeout
    does: an error that says the store is unavailable (a 503 at the faces)."""
    from leadhub.store import writegroups
    from leadhub.store.db import is_unavailable
    from leadhub.store.migrate import upgrade

    monkeypatch.setattr(writegroups, "WRITE_LOCK_TIMEOUT_S", 0.05)
    first = Database(f"sqlite:///{tmp_path / 'busy.db'}")
    second = Database(f"sqlite:///{tmp_path / 'busy.db'}")  # same file, same process
    try:
        upgrade(first)
        holding = threading.Event()
        release = threading.Event()

        def hold() -> None:
            with first.write():
                holding.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        try:
            assert holding.wait(10)
            try:
                with second.write():
                    raise AssertionError("a second writer got in while the first held the lock")
            except sa.exc.OperationalError as exc:
                assert is_unavailable(exc)
        finally:
            release.set()
            holder.join(10)
        with second.write() as conn:  # free again once the first is done
            conn.exec_driver_sql("SELECT 1")
    finally:
        first.dispose()
        second.dispose()

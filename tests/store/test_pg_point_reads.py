"""PostgreSQL's point-read connections (store/pgpoint.py): autocommit, no ping.

The same connections write one statement each (``PointReads.write``): the
group commit of form posts.

A connection kept idle is not pinged before use, so one the server dropped
meanwhile must cost a reconnect, not an error; a server that cannot be
reached must be an error the API answers with 503; and a statement's own
error must leave its connection fit for the next read.
"""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from leadhub.store.db import is_unavailable
from leadhub.store.pgpoint import POINT_READERS, PointReads


@pytest.fixture
def point(db):  # type: ignore[no-untyped-def]
    if db.is_sqlite:
        pytest.skip("PostgreSQL's point reads")
    return db.point


def _backend(point: PointReads) -> int:
    return point.rows("SELECT pg_backend_pid()", ())[0][0]


def test_a_connection_dropped_while_idle_is_replaced_not_an_error(point, store_url) -> None:
    pid = _backend(point)
    assert _backend(point) == pid  # kept and used again
    with psycopg.connect(store_url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    assert point.rows("SELECT 1 + %s", (1,)) == [(2,)]
    assert _backend(point) != pid


def test_a_write_is_committed_when_it_returns_and_survives_a_dropped_connection(
    db, store_url
) -> None:
    """``PointReads.write`` (the group commit of form posts): its statement is its own
    transaction, seen by every other session once it returns; a connection dropped
    while idle is replaced, not an error."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL's point writes")
    from leadhub.store import queue as queue_store
    from leadhub.util import new_guid
    from tests.ingest.helpers import accepted_row

    writes = db.point_writes
    tag = new_guid()
    queue_store.enqueue_durably(db, [accepted_row(f"{tag}-1")])
    with psycopg.connect(store_url, autocommit=True) as other:
        seen = "SELECT count(*) FROM submissions WHERE guid LIKE %s"
        assert other.execute(seen, (f"{tag}-%",)).fetchone()[0] == 1
        (pid,) = writes._idle[0].execute("SELECT pg_backend_pid()").fetchone()
        assert other.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        queue_store.enqueue_durably(db, [accepted_row(f"{tag}-2"), accepted_row(f"{tag}-3")])
        assert other.execute(seen, (f"{tag}-%",)).fetchone()[0] == 3
    assert writes._idle[0].info.backend_pid != pid
    assert writes._idle[0].info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_a_store_out_of_reach_is_unavailable(point) -> None:
    gone = PointReads(sa.make_url("postgresql+psycopg://postgres@127.0.0.1:1/none"))
    with pytest.raises(sa.exc.OperationalError) as raised:
        gone.rows("SELECT 1", ())
    assert is_unavailable(raised.value)
    with pytest.raises(sa.exc.OperationalError) as raised:
        gone.write("SELECT 1", ())
    assert is_unavailable(raised.value)


def test_a_failed_statement_leaves_its_connection_usable(point) -> None:
    """A statement's error (not a dropped connection) is the caller's, and its
    connection, in autocommit, has no failed transaction to carry into the next read."""
    with pytest.raises(sa.exc.DBAPIError) as raised:
        point.rows("SELECT 1 / 0", ())
    assert raised.value.orig.sqlstate == "22012"  # division by zero
    assert not is_unavailable(raised.value)
    pid = _backend(point)
    assert point.rows("SELECT 2", ()) == [(2,)] and _backend(point) == pid
    assert all(c.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
               for c in point._idle)


def test_idle_connections_are_kept_up_to_the_readers_and_closed_on_close(db) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL's point reads")
    point = PointReads(db.engine.url)
    taken = [point._take("", ())[0] for _ in range(POINT_READERS + 2)]
    for conn in taken:
        point._give(conn)
    assert len(point._idle) == POINT_READERS
    assert sum(c.closed for c in taken) == 2
    point.close()
    assert all(c.closed for c in taken) and not point._idle
    assert point.rows("SELECT 1", ()) == [(1,)]  # still reads, without keeping
    assert not point._idle


def test_v3_reads_by_id_are_the_ordinary_answer_in_one_statement(db) -> None:
    """``fastread.read_pg`` answers a v3 GET by id of HubSpot's own properties as the
    ordinary face renders it, and declines what needs more than the row."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL's point reads")
    import orjson

    from leadhub import crm_types as ct
    from leadhub import portals
    from leadhub.crm import fastread, render
    from leadhub.crm import objects as svc
    from leadhub.store.objects import Change

    change = Change(1_700_000_000_000, "API")
    portal_id = db.write_call(lambda conn: portals.create_portal(conn, "Point v3").id)
    bodies = {
        ct.CONTACTS: {"email": "pg-point@example.com", "firstname": "Zo\u00eb"},
        ct.COMPANIES: {"name": 'Acme "Q"', "domain": "pg-point.example"},
        ct.LEADS: {"hs_lead_name": "Point lead \u2603"},
    }
    asks: list[list[tuple[str, str]]] = [
        [], [("archived", "false")], [("properties", "hs_object_id, hs_createdate")],
        [("idProperty", "hs_object_id")],
    ]
    contact_id = None
    made_keys: list[tuple[str, str]] = []
    for type_id, props in bodies.items():
        body: dict = {"properties": props}
        if type_id == ct.LEADS:  # a lead needs its primary contact
            body["associations"] = [{"to": {"id": contact_id}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]
        made = db.write_call(lambda conn, t=type_id, b=body: svc.create_object(
            conn, portal_id, t, b, change))
        key = str(made.row.id)
        contact_id = contact_id or key
        made_keys.append((type_id, key))
        for params in asks:
            names = [n.strip() for k, v in params if k == "properties" for n in v.split(",")]
            want = svc.Want(names, [], [])
            with db.read() as conn:
                view = svc.get_object(conn, portal_id, type_id, key, want)
            answer = fastread.read_pg(db.point.rows, portal_id, type_id, key, params)
            assert answer == orjson.dumps(render.obj(view)), (type_id, params)
        # Declined: another portal, a name that is not HubSpot's own, another idProperty,
        # archived objects, and ids that are not plain numbers.
        assert fastread.read_pg(db.point.rows, portal_id + 1, type_id, key, ()) is None
        for params in ([("properties", "custom_one")], [("idProperty", "email")],
                       [("archived", "true")], [("other", "1")]):
            assert fastread.read_pg(db.point.rows, portal_id, type_id, key, params) is None
        assert fastread.read_pg(db.point.rows, portal_id, type_id, f"{key}x", ()) is None
    for type_id, key in made_keys[::-1]:
        db.write_call(lambda conn, t=type_id, k=key: svc.archive_object(
            conn, portal_id, t, k, change))
        assert fastread.read_pg(db.point.rows, portal_id, type_id, key, ()) is None


def test_v3_pages_are_the_ordinary_answer_in_one_statement(db) -> None:
    """``fastread.page_pg`` answers a v3 page of HubSpot's own properties as the ordinary
    face's ``list_objects`` renders it, its ``paging`` too, and declines the rest."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL's point reads")
    import orjson

    from leadhub import crm_types as ct
    from leadhub import portals
    from leadhub.crm import fastread, render
    from leadhub.crm import objects as svc
    from leadhub.crm.params import paging_next
    from leadhub.store.objects import Change

    base = "http://pages.test"
    change = Change(1_700_000_000_000, "API")
    portal_id = db.write_call(lambda conn: portals.create_portal(conn, "Point pages").id)
    made = [
        db.write_call(lambda conn, n=n: svc.create_object(conn, portal_id, ct.COMPANIES, {
            "properties": {"name": f"Page {n}", "domain": f"p{n}.example"}}, change)).row.id
        for n in range(5)
    ]
    db.write_call(lambda conn: svc.archive_object(conn, portal_id, ct.COMPANIES,
                                                  str(made[1]), change))
    for params in ([], [("limit", "2")], [("limit", "2"), ("after", str(made[2]))],
                   [("limit", "3"), ("properties", "name,domain"), ("archived", "false")],
                   [("after", str(made[4]))]):
        given = dict(params)
        limit, after = int(given.get("limit", 10)), int(given.get("after", 0))
        names = [n for k, v in params if k == "properties" for n in v.split(",")]
        with db.read() as conn:
            views, next_after = svc.list_objects(
                conn, portal_id, ct.COMPANIES, svc.Want(names, [], []), limit=limit,
                after=after)
        body: dict = {"results": [render.obj(v) for v in views]}
        if next_after is not None:
            body["paging"] = paging_next(base, ct.COMPANIES, given.items(), next_after)
        answer = fastread.page_pg(db.point.rows, portal_id, ct.COMPANIES, params, base)
        assert answer == orjson.dumps(body), params
    assert [r["id"] for r in orjson.loads(fastread.page_pg(
        db.point.rows, portal_id, ct.COMPANIES, [("limit", "2")], base))["results"]] == [
        str(made[0]), str(made[2])]
    for params in ([("properties", "custom_one")], [("archived", "true")],
                   [("idProperty", "domain")], [("limit", "2"), ("limit", "3")]):
        assert fastread.page_pg(db.point.rows, portal_id, ct.COMPANIES, params, base) is None

"""The raw lead load (store/leadrows.py, leads/rawload.py) gives exactly the views
``service.load`` and ``service.get`` give, on both stores.

A lead's first read without a stored document, and the write that stores
documents, read the lead's rows with prebuilt SQL instead of through the
engine; the v1 JSON is rendered from those views, so any difference in a
column, an order, a boolean or a decoded JSON value would change answers.
Leads here carry every part a view has: contacts or none, several primary
contacts, a link to a missing contact, conversion events (two at the same
time), log entries of both kinds, deletion, and ids that are not leads or
do not exist.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.errors import NotFound
from leadhub.leads import documents, rawload, service
from leadhub.store import associations as assoc_store
from leadhub.store import events as event_store
from leadhub.store import leaddocs, leadrows
from leadhub.store import objects as obj_store
from leadhub.store.events import ConversionEvent
from leadhub.store.objects import Change
from leadhub.store.pgpoint import conninfo
from leadhub.util import new_guid
from tests.factories import make_lead

AT = 1_700_000_000_000


def _portal(db) -> int:
    return db.write_call(lambda conn: portals.create_portal(conn, "Raw load").id)


def _leads(db, portal_id: int) -> list[int]:
    """Lead ids (and a contact's, and a missing one) covering every part of a view."""
    plain = make_lead(db, portal_id, firstName="Zo\u00eb", company='Acme "Q" \u2603')
    converted = make_lead(db, portal_id, conversions=(AT + 5, AT + 1, AT + 1))
    gone = make_lead(db, portal_id, conversions=(AT,))
    alone = make_lead(db, portal_id)
    shared = make_lead(db, portal_id)

    def shape(conn):  # type: ignore[no-untyped-def]
        for kind, state in ((event_store.CUSTOMER, False), (event_store.CUSTOMER, True),
                            (event_store.DELETE, False)):
            event_store.add_log(conn, portal_id, converted.lead_id, kind, AT + 3, state)
        event_store.add_log(conn, portal_id, gone.lead_id, event_store.DELETE, AT, False)
        row = obj_store.get(conn, portal_id, ct.LEADS, gone.lead_id)
        obj_store.set_archived(conn, row, True, AT + 9)
        contact = service.load(conn, portal_id, [alone.lead_id])[0].contact
        assoc_store.remove_pair(conn, portal_id, alone.lead_id, contact.id)
        # A link to an object that is not there: no contact.
        assoc_store.add(conn, portal_id, ct.LEADS, alone.lead_id, ct.CONTACTS, 10**12 + 1,
                        service.PRIMARY_CONTACT, AT)
        # A second primary contact: the view keeps the lowest contact id.
        other = service.load(conn, portal_id, [plain.lead_id])[0].contact
        assoc_store.add(conn, portal_id, ct.LEADS, shared.lead_id, ct.CONTACTS, other.id,
                        service.PRIMARY_CONTACT, AT)
        event = ConversionEvent(
            guid=new_guid(), lead_id=0, convert_date=AT + 7, form_guid="f" * 32, form_id=3,
            form_name="Form \u00e9", page_name="", page_type="", page_url="",
            fields=[{"id": 2, "fieldName": "Note", "fieldValue": "a\nb \u2603",
                     "fieldLabel": "Note"}],
        )
        lead = obj_store.get(conn, portal_id, ct.LEADS, shared.lead_id)
        service.add_conversion_event(conn, lead, event, Change(AT + 7, "FORM"))
        return contact.id

    contact_id = db.write_call(shape)
    return [plain.lead_id, converted.lead_id, gone.lead_id, alone.lead_id, shared.lead_id,
            contact_id, 10**12]


def test_raw_views_are_the_engines_views(db) -> None:
    portal_id = _portal(db)
    ids = _leads(db, portal_id)
    with db.read() as conn:
        expected = service.load(conn, portal_id, ids)
        rows = leadrows.driver_rows(conn)
        assert rawload.load(rows, portal_id, ids) == expected
        assert rawload.load(rows, portal_id, ids[::-1]) == expected[::-1]
        for lead_id in ids:
            assert rawload.load(rows, portal_id, [lead_id]) == service.load(
                conn, portal_id, [lead_id])
        assert rawload.load(rows, portal_id + 1, ids) == []
        assert rawload.load(rows, portal_id, []) == []
    assert len(expected) == 5
    converted, gone, alone, shared = expected[1:5]
    assert [e.convert_date for e in converted.events] == [AT + 1, AT + 1, AT + 5]
    assert [x.previous_state for x in converted.logs] == [False, True, False]
    assert gone.lead.archived is True and alone.contact is None
    with db.read() as conn:
        links = assoc_store.targets(conn, portal_id, [shared.lead.id],
                                    type_id=ct.LEAD_TO_PRIMARY_CONTACT)
    assert len(links) == 2 and shared.contact.id == links[0].to_id
    if not db.is_sqlite:
        return  # the point-read connection is SQLite's
    # The point-read connection reads the same views, and renders the same documents.
    fast = db.fast_rows
    fast("BEGIN", ())
    try:
        views = rawload.load(fast, portal_id, ids)
    finally:
        fast("COMMIT", ())
    assert views == expected
    assert [documents.to_document(v) for v in views] == [
        documents.to_document(v) for v in expected]


def test_guids_find_the_lead_the_service_finds(db) -> None:
    portal_id = _portal(db)
    made = make_lead(db, portal_id, conversions=(AT,))

    def archive(conn):  # type: ignore[no-untyped-def]
        row = obj_store.get(conn, portal_id, ct.LEADS, made.lead_id)
        obj_store.set_archived(conn, row, True, AT + 1)

    db.write_call(archive)  # a lookup by guid finds deleted leads too
    with db.read() as conn:
        expected = service.get(conn, portal_id, made.guid)
        rows = leadrows.driver_rows(conn)
        for spelling in (made.guid, f" {made.guid.upper()} "):
            assert rawload.get(rows, portal_id, spelling) == expected
        assert rawload.get(rows, portal_id + 1, made.guid) is None
        assert rawload.get(rows, portal_id, "0" * 32) is None
    assert expected.lead.archived is True


def test_finds_and_lists_read_their_leads_with_the_loader_given(db) -> None:
    """The v1 face reads found and listed leads with ``rawload.loader`` (prebuilt SQL),
    through the service's own lookups: the same views as ``service.load``'s."""
    from leadhub.store.leadlist import LeadListQuery

    portal_id = _portal(db)
    made = make_lead(db, portal_id, email="loader@example.com", conversions=(AT,))
    other = make_lead(db, portal_id)
    calls: list[tuple[list[int], bool]] = []

    def recording(conn, portal_id, lead_ids, *, with_events=True):  # type: ignore[no-untyped-def]
        calls.append((list(lead_ids), with_events))
        return rawload.loader(conn, portal_id, lead_ids, with_events=with_events)

    with db.read() as conn:
        expected = service.load(conn, portal_id, [made.lead_id])[0]
        assert service.find(conn, portal_id, loader=recording,
                            email="LOADER@example.com") == expected
        for with_events in (True, False):
            listed = service.list_leads(
                conn, LeadListQuery(portal_id=portal_id, limit=10), with_events=with_events,
                guids=[made.guid, other.guid], loader=recording,
            )
            assert listed == service.load(
                conn, portal_id, [v.lead.id for v in listed], with_events=with_events)
            assert {v.lead.id for v in listed} == {made.lead_id, other.lead_id}
    assert calls[0] == ([made.lead_id], True)
    assert [c[1] for c in calls[1:]] == [True, False]


def test_one_statement_reads_are_the_engines_views_on_postgresql(db) -> None:
    """PostgreSQL reads leads by guid with one statement for all the reads waiting at once
    (``leaddocs.pg_docs_by_guids`` through ``Database.batch``), which reads the rows of
    leads without a stored document: the views ``service.get`` gives, for every part a
    view has, whatever the guid's spelling, and nothing for other portals, other
    objects' guids or guids of nothing."""
    if db.is_sqlite:
        assert db.batch is None  # SQLite reads through its own point-read connections
        return
    portal_id = _portal(db)
    ids = _leads(db, portal_id)
    with db.read() as conn:
        views = service.load(conn, portal_id, ids)
        expected = [service.get(conn, portal_id, v.guid) for v in views]
    assert len(expected) == 5 and all(v is not None for v in expected)
    converted, gone, alone, shared = expected[1:5]
    assert len(converted.events) == 3 and len(converted.logs) == 3
    assert gone.lead.archived is True and alone.contact is None
    assert shared.contact is not None and shared.events[0].fields[0]["fieldValue"] == "a\nb \u2603"
    asked = [(portal_id, spelling) for view in expected
             for spelling in (view.guid, f" {view.guid.upper()} ")]
    asked += [(portal_id + 1, converted.guid), (portal_id, "0" * 32)]
    statements = db.batch.statements
    found = batched(db, _by_guid, asked)
    assert db.batch.statements == statements + 1
    assert found == [view for view in expected for _ in range(2)] + [None, None]
    assert found[2].events == converted.events
    for one, view in zip(found, [v for v in expected for _ in range(2)], strict=False):
        assert documents.to_document(one) == documents.to_document(view)


def _keys(keys: list[tuple[Any, ...]]) -> dict[str, str]:
    """A batched statement's parameters for these keys (store/pgbatch.py ``keys``)."""
    return {"keys": orjson.dumps(keys).decode()}


def batched(db, read, asked):  # type: ignore[no-untyped-def]
    """The views ``read(db.batch, portal, key)`` finds of every key asked, all waiting at
    once."""
    import asyncio

    async def go():  # type: ignore[no-untyped-def]
        return await asyncio.gather(*(read(db.batch, *key) for key in asked))

    return asyncio.run(go())


async def _by_guid(batch, portal_id, guid):  # type: ignore[no-untyped-def]
    """The view a read by guid reads of a lead without a stored document."""
    row = await batch.get(
        leaddocs.pg_docs_by_guids("leadhub_guid"), (portal_id, guid.strip().lower(), None))
    return None if row is None else rawload.pg_docs_view(row)


async def _by_email(batch, portal_id, email):  # type: ignore[no-untyped-def]
    """The view a read by (normalized) email reads of a lead without a stored document."""
    row = await batch.get(
        leaddocs.pg_docs_by_emails("leadhub_first_converted_at"), (portal_id, email, None, None))
    return None if row is None else rawload.pg_docs_view(row)


def test_one_statement_finds_by_email_the_lead_the_service_finds_on_postgresql(db) -> None:
    """By email, PostgreSQL's one statement (``leaddocs.pg_docs_by_emails``) chooses among a
    person's leads as ``service.find`` does: live before deleted, then the first
    converted (never converted last), then the oldest."""
    if db.is_sqlite:
        return  # SQLite finds by email through its stored documents (leaddocs.by_email_sql)
    portal_id = _portal(db)
    ids = _leads(db, portal_id)
    email = f"several-{new_guid()[:8]}@example.com"
    made = {
        name: make_lead(db, portal_id, email=email, conversions=times)
        for name, times in (("a", (AT,)), ("b", ()), ("c", (AT + 5,)), ("d", (AT + 2, AT + 9)),
                            ("e", (AT + 2,)))
    }

    def archive(name: str) -> None:
        def run(conn):  # type: ignore[no-untyped-def]
            row = obj_store.get(conn, portal_id, ct.LEADS, made[name].lead_id)
            obj_store.set_archived(conn, row, True, AT + 20)
        db.write_call(run)

    def check(email: str, expected_id: int | None) -> None:
        with db.read() as conn:
            try:
                expected = service.find(conn, portal_id, email=email)
            except NotFound:
                expected = None
        spellings = [service.normalize_email(s) for s in (email, f" {email.upper()} ")]
        # Waiting at once, with another portal's and nobody's (store/pgbatch.py).
        asked = [(portal_id, s) for s in spellings]
        asked += [(portal_id + 1, spellings[0]), (portal_id, "nobody@example.com")]
        assert batched(db, _by_email, asked) == [expected] * 2 + [None] * 2
        assert (expected.lead.id if expected else None) == expected_id

    archive("a")
    check(email, made["d"].lead_id)
    for gone, then in (("d", "e"), ("e", "c"), ("c", "b"), ("b", "a")):
        archive(gone)
        check(email, made[then].lead_id)
    with db.read() as conn:
        views = service.load(conn, portal_id, ids)
    for view in views:  # the leads of every shape, by their contacts' emails
        if view.contact is not None:
            with db.read() as conn:
                lead_id = service.find(conn, portal_id, email=view.contact.props["email"]).lead.id
            check(view.contact.props["email"], lead_id)
    check("nobody@example.com", None)


def _page(db, query):  # type: ignore[no-untyped-def]
    """The views of a v1 list page on PostgreSQL as ``PgDocuments.page`` reads them
    (``leaddocs.pg_page_docs``: the list's own SQL inside the read of its leads'
    documents and rows), of leads without a stored document."""
    import asyncio

    from leadhub.store.leadlist import pg_list_sql

    sql, values = pg_list_sql(query)
    rows = asyncio.run(db.batch_pages.read(
        leaddocs.pg_page_docs(sql), values, binary=True, inline=True))
    assert all(row[3] is None for row in rows)  # no document stored: the rows
    return [rawload.pg_docs_view(row) for row in rows]


def test_one_statement_list_pages_are_the_services_pages_on_postgresql(db) -> None:
    """A v1 list page on PostgreSQL is one statement (``leaddocs.pg_page_docs``: the
    list's own SQL inside the leads' read): the views ``service.list_leads`` gives, in
    its order, for searches, sorts both ways, windows, filters, offsets and deleted
    leads."""
    if db.is_sqlite:
        return  # SQLite lists through its stored documents
    from starlette.datastructures import QueryParams

    from leadhub.leads.params import parse_list

    portal_id = _portal(db)
    _leads(db, portal_id)
    for n in range(12):
        make_lead(db, portal_id, inserted_at=AT + n * 1000, lastName=f"Zed{n % 4}",
                  company="Pagewide" if n % 3 else "Other", conversions=(AT + 50 - n,) * (n % 2))
    cases = [
        {}, {"max": "5"}, {"max": "4", "offset": "3", "sort": "insertedAt", "dir": "asc"},
        {"search": "zed", "sort": "lastName", "dir": "asc"},
        {"search": "pagewide zed1", "sort": "insertedAt"},
        {"search": "zz-nothing"}, {"search": "e", "sort": "firstConvertedAt", "dir": "asc"},
        {"timePivot": "insertedAt", "startTime": str(AT + 2000), "stopTime": str(AT + 7000)},
        {"timePivot": "firstConvertedAt", "startTime": str(AT), "sort": "firstConvertedAt"},
        {"includeDeleted": "true", "sort": "closedAt"}, {"sort": "sourceId", "dir": "asc"},
        {"isNotImported": "true"}, {"bounced": "true"}, {"offset": "1000"},
    ]
    for params in cases:
        qp = QueryParams(params)
        request, _ = parse_list(portal_id, qp, qp.multi_items())
        with db.read() as conn:
            expected = service.list_leads(conn, request.query, with_events=True)
        assert _page(db, request.query) == expected, params
        if params.get("search") == "zed":
            assert len(expected) == 10
    qp = QueryParams({"includeDeleted": "true", "max": "100"})
    request, _ = parse_list(portal_id, qp, qp.multi_items())
    listed = _page(db, request.query)
    assert any(v.lead.archived for v in listed) and any(v.events for v in listed)
    request.query.lead_ids = [listed[0].lead.id]
    with pytest.raises(ValueError):  # a list of guids is read the ordinary way
        _page(db, request.query)


def test_one_statement_reads_scan_nothing_inside_a_scan_on_postgresql(db) -> None:
    """The one-statement reads stay keyed lookups whatever plan PostgreSQL picks: with
    index scans, hash and merge joins forbidden (what stale statistics can lead the
    planner to), no sequential scan runs more than once per lead it reads. A subquery
    in a join's condition, or a join of the email's value, links and leads, would
    run a scan once per row of another scan (seconds per read on a few thousand
    rows)."""
    if db.is_sqlite:
        return
    import psycopg
    from starlette.datastructures import QueryParams

    from leadhub.leads.params import parse_list
    from leadhub.store.leadlist import pg_list_sql

    portal_id = _portal(db)
    email = f"scan-{new_guid()[:8]}@example.com"
    made = [make_lead(db, portal_id, email=email, conversions=(AT + n,)) for n in range(3)]
    made += [make_lead(db, portal_id) for _ in range(40)]
    qp = QueryParams({"max": "5", "sort": "insertedAt"})
    request, _ = parse_list(portal_id, qp, qp.multi_items())
    page_sql, page_values = pg_list_sql(request.query)
    # Each statement, its parameters, and how many reads it makes (a batch's keys).
    reads = [
        (leaddocs.pg_page_docs(page_sql), page_values, 1),
        (leaddocs.pg_docs_by_guids("leadhub_guid").sql,
         _keys([(portal_id, made[n].guid, known) for n, known in enumerate((None, 1, 2))]), 3),
        (leaddocs.pg_docs_by_emails("leadhub_first_converted_at").sql,
         _keys([(portal_id, email, None, None),
                (portal_id, "nobody@example.com", made[0].lead_id, 1),
                (portal_id, email, made[1].lead_id, 2)]), 3),
    ]
    url = conninfo(db.engine.url)
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM objects").fetchone()[0] > 80
        for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan",
                        "enable_hashjoin", "enable_mergejoin"):
            conn.execute(f"SET {setting} = off")
        for sql, params, keys in reads:
            found = _seq_scans(conn.execute(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params, prepare=False).fetchone()[0])
            assert found and all(loops <= 5 * keys for _, loops in found), (sql[:60], found)
        # The lead's rows come from a function (migration 0015), whose plan the plans
        # above do not show: its query, for one lead, under the same settings.
        source = conn.execute(
            "SELECT prosrc FROM pg_proc WHERE proname = 'leadhub_lead_rows'").fetchone()[0]
        body = source[source.index("RETURN (") + len("RETURN ("):source.rindex(");")]
        body = re.sub(r"= (lead|portal)\b", r"= %(\1)s", body)
        assert "%(lead)s" in body and "%(portal)s" in body
        found = _seq_scans(conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + body, {
            "lead": made[0].lead_id, "portal": portal_id}).fetchone()[0])
        assert found and all(loops <= 5 for _, loops in found), found


def _seq_scans(plan: Any) -> list[tuple[str, int]]:
    """(table, loops) of each sequential scan of an ``EXPLAIN (ANALYZE, FORMAT JSON)``."""
    import json

    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes, found = [plan[0]["Plan"]], []
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", ()))
        if node["Node Type"] == "Seq Scan":
            found.append((node["Relation Name"], node["Actual Loops"]))
    return found

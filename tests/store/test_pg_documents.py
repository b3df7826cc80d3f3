"""PostgreSQL's stored v1 documents (migration 0014): a read stores the document it
rendered only while nothing changed since it read the rows.

A read takes its lead's document version with the rows, in one snapshot; a
write in between (from any process) bumps the version, so the read's
document, now stale, must not be stored, whether the lead had a document row
before or not. A document written by a write transaction (``fill``) bumps
the version too, so that no read from before it stores over it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from leadhub import portals
from leadhub.leads import documents, docwrites, pgdocuments, rawload, service
from leadhub.store import Database, leaddocs
from leadhub.store import events as event_store
from leadhub.store.pgpoint import conninfo
from leadhub.store.schema import lead_documents
from tests.factories import make_lead

AT = 1_700_000_000_000


@pytest.fixture
def pg(db: Database) -> Database:
    if db.is_sqlite:
        pytest.skip("PostgreSQL's stored documents")
    return db


def _read(db: Database, portal_id: int, guid: str) -> tuple[int, Any]:
    """A read's version of the lead's document (0 where it has no row) and its view, in
    one snapshot, as a read without a document takes them."""
    with db.read() as conn:
        view = service.get(conn, portal_id, guid)
        version = conn.execute(sa.select(sa.column("version")).select_from(lead_documents)
                               .where(lead_documents.c.lead_id == view.lead.id)).scalar()
    return version or 0, view


def _store(db: Database, version: int, view: Any) -> None:
    key = (view.lead.id, view.lead.portal_id, view.guid, documents.to_document(view).hex(),
           view.lead.archived, version)
    asyncio.run(db.batch_stores.get(leaddocs.PG_STORE, key))


def _stored(db: Database, lead_id: int) -> tuple[bytes | None, int] | None:
    with db.read() as conn:
        row = conn.execute(sa.select(lead_documents.c.doc, sa.column("version")).select_from(
            lead_documents).where(lead_documents.c.lead_id == lead_id)).first()
    return (None if row.doc is None else bytes(row.doc), row.version) if row else None


def _log(db: Database, portal_id: int, lead_id: int) -> None:
    """A change of the lead's document: a log entry of its own."""
    db.write_call(lambda conn: event_store.add_log(
        conn, portal_id, lead_id, event_store.CUSTOMER, AT, True))


def _rendered(db: Database, portal_id: int, guid: str) -> bytes:
    with db.read() as conn:
        return documents.to_document(service.get(conn, portal_id, guid))


def _portal(db: Database) -> int:
    return db.write_call(lambda conn: portals.create_portal(conn, "PG documents").id)


def test_a_read_from_before_a_change_stores_nothing(pg: Database) -> None:
    portal_id = _portal(pg)
    made = make_lead(pg, portal_id)
    version, view = _read(pg, portal_id, made.guid)
    _store(pg, version, view)
    doc, stored_version = _stored(pg, made.lead_id)
    assert doc == _rendered(pg, portal_id, made.guid)
    # Read again, then the lead changes: the read's document is stale.
    version, view = _read(pg, portal_id, made.guid)
    assert version == stored_version
    _log(pg, portal_id, made.lead_id)
    assert _stored(pg, made.lead_id) == (None, stored_version + 1)  # emptied, bumped
    _store(pg, version, view)
    assert _stored(pg, made.lead_id) == (None, stored_version + 1)
    # A read after the change stores the current one.
    version, view = _read(pg, portal_id, made.guid)
    _store(pg, version, view)
    assert _stored(pg, made.lead_id) == (_rendered(pg, portal_id, made.guid), version)
    assert b'"leadCustomerStatusModifyLogs":[{' in _stored(pg, made.lead_id)[0]  # the log's


def test_a_read_from_before_the_first_row_stores_nothing_after_a_change(pg: Database) -> None:
    """A lead without a document row (one written before migration 0014): the read
    takes no version; a change inserts the row (emptied, version 1), and the read's
    store then finds a row it did not read."""
    portal_id = _portal(pg)
    made = make_lead(pg, portal_id)
    with pg.write() as conn:
        conn.execute(sa.delete(lead_documents).where(lead_documents.c.lead_id == made.lead_id))
    assert _stored(pg, made.lead_id) is None
    version, view = _read(pg, portal_id, made.guid)
    assert version == 0
    _log(pg, portal_id, made.lead_id)
    assert _stored(pg, made.lead_id) == (None, 1)
    _store(pg, version, view)
    assert _stored(pg, made.lead_id) == (None, 1)


def test_a_document_a_write_stores_is_not_stored_over(pg: Database) -> None:
    """``fill`` (a write transaction's own documents) bumps the version: a read from
    before it, even one that found no row, does not replace what it stored."""
    portal_id = _portal(pg)
    made = make_lead(pg, portal_id)
    early = _read(pg, portal_id, made.guid)
    pg.write_call(docwrites.fill, portal_id, [made.lead_id])
    doc, filled = _stored(pg, made.lead_id)
    assert doc == _rendered(pg, portal_id, made.guid) and filled == early[0] + 1
    version, view = _read(pg, portal_id, made.guid)
    assert version == filled
    _log(pg, portal_id, made.lead_id)
    _store(pg, *early)
    assert _stored(pg, made.lead_id) == (None, filled + 1)
    pg.write_call(docwrites.fill, portal_id, [made.lead_id])
    _store(pg, version, view)  # read before the log and the fill
    assert _stored(pg, made.lead_id) == (_rendered(pg, portal_id, made.guid), filled + 2)
    assert b'"leadCustomerStatusModifyLogs":[{' in _stored(pg, made.lead_id)[0]  # the log's


def _docs(db: Database) -> documents.LeadDocuments:
    return documents.LeadDocuments(db, "http://docs.test")


def _set(db: Database, lead_id: int, doc: bytes, *, bump: bool) -> None:
    """Put a document in a lead's row directly, its version bumped or not."""
    with db.write() as conn:
        conn.execute(sa.text(
            "UPDATE lead_documents SET doc = :doc, version = version + :bump "
            "WHERE lead_id = :lead"), {"doc": doc, "bump": int(bump), "lead": lead_id})


def test_a_read_takes_the_rows_only_of_a_lead_it_gets_no_document_of(pg: Database) -> None:
    """The document's statement reads a lead's rows where the reader gets no document
    (none stored, or one stored but of another version than it holds: the rows are
    read then, not sent twice), and only there, by guid and by email."""
    portal_id = _portal(pg)
    made = make_lead(pg, portal_id, email="rows@example.com")
    by_guid = leaddocs.pg_docs_by_guids("leadhub_guid")
    by_email = leaddocs.pg_docs_by_emails("leadhub_first_converted_at")

    def read(known: int | None) -> list[Any]:
        async def go() -> list[Any]:
            return list(await asyncio.gather(
                pg.batch.get(by_guid, (portal_id, made.guid, known)),
                pg.batch.get(by_email, (portal_id, "rows@example.com", made.lead_id, known))))
        return asyncio.run(go())

    def rows(found: list[Any]) -> list[bool]:
        return [row[leaddocs.PG_ROWS_AT] is not None for row in found]

    version, view = _read(pg, portal_id, made.guid)
    assert rows(read(None)) == [True, True]  # no document stored
    assert rows(read(version)) == [False, False]  # not stored, but held
    _store(pg, version, view)
    assert rows(read(None)) == [False, False]  # stored: sent
    assert [row[3] is None for row in read(version)] == [True, True]  # held: neither
    assert rows(read(version)) == [False, False]
    _log(pg, portal_id, made.lead_id)  # emptied, another version
    found = read(version)
    assert rows(found) == [True, True] and [row[3] for row in found] == [None, None]
    assert rawload.pg_docs_view(found[0]) == rawload.pg_docs_view(found[1]) == _read(
        pg, portal_id, made.guid)[1]


def test_a_process_answers_from_the_document_it_holds_while_its_version_is_current(
    pg: Database,
) -> None:
    """The process holds the documents it read or rendered: while the store says the
    lead's version is the one held, it answers the held one (the stored document is not
    even sent); once the version moves, it answers what the store holds now."""
    portal_id = _portal(pg)
    made = make_lead(pg, portal_id, email="held@example.com")
    docs = _docs(pg)

    async def reads() -> tuple[bytes | None, bytes | None, bytes | None]:
        await asyncio.gather(*docs.pg.storing)
        found = (await docs.pg.by_guid(portal_id, made.guid),
                 await docs.pg.by_email(portal_id, "held@example.com"),
                 await docs.pg.by_guid(portal_id, made.guid, live=True))
        await asyncio.gather(*docs.pg.storing)
        return found

    current = docs.body([_rendered(pg, portal_id, made.guid)])
    assert asyncio.run(reads()) == (current,) * 3  # rendered, held, then stored
    assert _stored(pg, made.lead_id)[0] == _rendered(pg, portal_id, made.guid)
    # The same version with other bytes in the store: the held document is answered.
    _set(pg, made.lead_id, b'{"x":1}', bump=False)
    assert asyncio.run(reads()) == (current,) * 3
    # Another version (another process's change): the store's document is.
    _set(pg, made.lead_id, b'{"x":2}', bump=True)
    assert asyncio.run(reads()) == (b'[{"x":2}]',) * 3
    # A change through the store's triggers: emptied, read from the rows again.
    _log(pg, portal_id, made.lead_id)
    changed = docs.body([_rendered(pg, portal_id, made.guid)])
    assert changed != current and asyncio.run(reads()) == (changed,) * 3


def test_a_list_page_reads_the_rows_only_of_leads_without_a_document(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A v1 list page (``PgDocuments.page``) answers the stored documents of its
    leads and renders the others from their rows, read in the same statement; those are
    stored at their second such read, as a point read stores them; and a page holds no
    document in the process (pages of many leads would push out the hot ones)."""
    from starlette.datastructures import QueryParams

    from leadhub.leads.params import parse_list

    portal_id = _portal(pg)
    made = [make_lead(pg, portal_id, lastName=f"Page{i}") for i in range(4)]
    pg.write_call(docwrites.fill, portal_id, [made[0].lead_id])
    docs = _docs(pg)
    qp = QueryParams({"sort": "lastName", "dir": "asc"})
    query = parse_list(portal_id, qp, qp.multi_items())[0].query
    rendered: list[int] = []
    real = documents.to_document
    monkeypatch.setattr(pgdocuments, "to_document",
                        lambda view: rendered.append(view.lead.id) or real(view))

    async def page() -> bytes:
        body = await docs.pg.page(query)
        await asyncio.gather(*docs.pg.storing)
        return body

    expected = docs.body([_rendered(pg, portal_id, m.guid) for m in made])
    rendered.clear()
    assert asyncio.run(page()) == expected
    assert sorted(rendered) == sorted(m.lead_id for m in made[1:])
    assert [_stored(pg, m.lead_id)[0] is None for m in made] == [False, True, True, True]
    assert asyncio.run(page()) == expected  # the second read of the three: stored
    assert all(_stored(pg, m.lead_id)[0] is not None for m in made)
    rendered.clear()
    assert asyncio.run(page()) == expected and rendered == []
    assert docs.pg.kept == {}
    # A change empties its lead's document: read from its rows again.
    _log(pg, portal_id, made[2].lead_id)
    changed = asyncio.run(page())
    assert rendered == [made[2].lead_id] and changed != expected
    assert changed == docs.body([_rendered(pg, portal_id, m.guid) for m in made])


def test_an_email_whose_lead_changes_is_not_answered_from_the_lead_held(pg: Database) -> None:
    """By email the process holds the lead the email found last; when the lookup rules
    choose another lead (a newer lead of the same person converted first), that lead's
    document is answered, whatever is held."""
    portal_id = _portal(pg)
    first = make_lead(pg, portal_id, email="moves@example.com")
    docs = _docs(pg)
    by_email = asyncio.run(docs.pg.by_email(portal_id, "moves@example.com"))
    assert by_email == docs.body([_rendered(pg, portal_id, first.guid)])
    second = make_lead(pg, portal_id, email="moves@example.com", conversions=(AT,))
    with pg.read() as conn:
        chosen = service.find(conn, portal_id, email="moves@example.com")
    assert chosen.lead.id == second.lead_id
    assert asyncio.run(docs.pg.by_email(portal_id, "moves@example.com")) == docs.body(
        [documents.to_document(chosen)])


def test_a_store_waiting_for_a_writer_holds_up_no_read(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document's store waits for a writer that holds its lead's row until the writer
    commits; reads go on meanwhile, even with one connection for reads (the stores have
    one of their own), and the store, seeing the writer's change, stores nothing."""
    monkeypatch.setattr(pg.batch, "_connections", 1)
    portal_id = _portal(pg)
    made, other = make_lead(pg, portal_id), make_lead(pg, portal_id)
    docs = _docs(pg)
    version, view = _read(pg, portal_id, made.guid)
    url = conninfo(pg.engine.url)
    import psycopg

    with psycopg.connect(url) as writer:  # a transaction left open: the row is held
        writer.execute(
            "INSERT INTO lead_logs (portal_id, lead_id, kind, inserted_at, previous_state) "
            "VALUES (%s, %s, %s, %s, true)", (portal_id, made.lead_id, event_store.CUSTOMER, AT))

        async def go() -> tuple[bytes | None, bool]:
            docs.pg.store_later(made.lead_id, portal_id, (
                version, documents.to_document(view), False, made.guid))
            await asyncio.sleep(0.2)
            # The store waits; a read of another lead does not.
            read = await asyncio.wait_for(docs.pg.by_guid(portal_id, other.guid), 5)
            waiting = not all(t.done() for t in docs.pg.storing)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, writer.commit)
            await asyncio.wait_for(asyncio.gather(*docs.pg.storing), 5)
            return read, waiting

        read, waiting = asyncio.run(go())
    assert read == docs.body([_rendered(pg, portal_id, other.guid)]) and waiting
    assert _stored(pg, made.lead_id)[0] is None  # the change came first

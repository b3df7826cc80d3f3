"""Checks that stored v1 documents are what the ordinary read path renders now."""

from __future__ import annotations

import sqlalchemy as sa

from leadhub import crm_types as ct
from leadhub.leads import documents, service
from leadhub.store import Database
from leadhub.store.schema import associations, lead_documents, objects, unique_values


def assert_documents_current(
    db: Database, portal_id: int, *, missing: frozenset[int] = frozenset()
) -> None:
    """Every lead of the portal but those in ``missing`` has its document stored, the one
    ``service.load`` renders now, with the email the store gives it (SQLite). On
    PostgreSQL, where reads (and imports) store documents, every document there is
    the one rendered now; then every lead's is stored as a read stores it
    (``store_pg_documents``), so that the next write meets documents that its
    triggers must empty."""
    with db.read() as conn:
        stored_rows = conn.execute(
            sa.select(lead_documents.c.lead_id, lead_documents.c.doc, lead_documents.c.email)
            .where(lead_documents.c.portal_id == portal_id)
        ).all()
        ids = list(conn.execute(sa.select(objects.c.id).where(
            objects.c.portal_id == portal_id, objects.c.object_type == ct.LEADS)).scalars())
        views = service.load(conn, portal_id, ids)
        rendered = {v.lead.id: documents.to_document(v) for v in views}
        # A lead without a guid has no document (leads/docwrites.py ``fill``).
        missing = missing | {v.lead.id for v in views if not v.guid}
    if not db.is_sqlite:
        for r in stored_rows:
            assert r.doc is None or bytes(r.doc) == rendered[r.lead_id], r.lead_id
        read, stored = store_pg_documents(db, portal_id)
        assert stored == read  # nothing changed meanwhile: every one stored
        return
    assert {r.lead_id for r in stored_rows} == rendered.keys() - missing
    for r in stored_rows:
        assert bytes(r.doc) == rendered[r.lead_id], r.lead_id
        assert r.email == lone_email(db, portal_id, r.lead_id), r.lead_id


def store_pg_documents(db: Database, portal_id: int) -> tuple[int, int]:
    """PostgreSQL: read every lead of the portal by its guid as a read does, all at once
    (``leaddocs.pg_docs_by_guids``: the lead's rows with its document's version where
    no document is stored), and store the documents of those read from their rows as
    reads do (``leaddocs.PG_STORE``: only while the version read is still the lead's).
    The number of leads found (a lead whose guid no unique value holds, a row written
    by another program, is not), and of documents of the portal there afterwards."""
    import asyncio

    from leadhub.leads import fields, rawload
    from leadhub.store import leaddocs

    with db.read() as conn:
        guids = [v.guid for v in service.load(conn, portal_id, list(conn.execute(
            sa.select(objects.c.id).where(
                objects.c.portal_id == portal_id, objects.c.object_type == ct.LEADS)
        ).scalars())) if v.guid]
    assert db.batch is not None and db.batch_stores is not None
    by_guids = leaddocs.pg_docs_by_guids(fields.GUID_PROP)

    async def go() -> int:
        rows = await asyncio.gather(
            *(db.batch.get(by_guids, (portal_id, g, None)) for g in guids))
        found = [(row[2], rawload.pg_docs_view(row)) for row in rows if row is not None]
        await asyncio.gather(*(
            db.batch_stores.get(leaddocs.PG_STORE, leaddocs.pg_store_key(
                view.lead.id, portal_id, view.guid, documents.to_document(view),
                view.lead.archived, version))
            for version, view in found if view is not None
        ))
        return len(found)

    read = asyncio.run(go())
    with db.read() as conn:
        return read, int(conn.execute(sa.select(sa.func.count()).where(
            lead_documents.c.portal_id == portal_id, lead_documents.c.doc.is_not(None)
        )).scalar_one())


def lone_email(db: Database, portal_id: int, lead_id: int) -> str | None:
    """The email of the lead's one primary contact if that person's primary leads are this
    lead alone (both sides of the association)."""
    primary = sa.and_(associations.c.portal_id == portal_id)
    with db.read() as conn:
        contacts = list(conn.execute(sa.select(associations.c.to_id).where(
            primary, associations.c.from_id == lead_id,
            associations.c.type_id == ct.LEAD_TO_PRIMARY_CONTACT)).scalars())
        if len(contacts) != 1:
            return None
        leads = list(conn.execute(sa.select(associations.c.to_id).where(
            primary, associations.c.from_id == contacts[0],
            associations.c.type_id == ct.PRIMARY_CONTACT_TO_LEAD)).scalars())
        if leads != [lead_id]:
            return None
        return conn.execute(sa.select(unique_values.c.value).where(
            unique_values.c.portal_id == portal_id, unique_values.c.object_type == ct.CONTACTS,
            unique_values.c.property == "email", unique_values.c.object_id == contacts[0],
        )).scalar_one_or_none()

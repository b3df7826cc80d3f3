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
    ``service.load`` renders now, with the email the store gives it (SQLite); on
    PostgreSQL none is stored."""
    with db.read() as conn:
        stored_rows = conn.execute(
            sa.select(lead_documents.c.lead_id, lead_documents.c.doc, lead_documents.c.email)
            .where(lead_documents.c.portal_id == portal_id)
        ).all()
        ids = list(conn.execute(sa.select(objects.c.id).where(
            objects.c.portal_id == portal_id, objects.c.object_type == ct.LEADS)).scalars())
        views = service.load(conn, portal_id, ids)
        rendered = {v.lead.id: documents.to_document(v) for v in views}
        # A lead without a guid has no document (leads/documents.py ``fill``).
        missing = missing | {v.lead.id for v in views if not v.guid}
    if not db.is_sqlite:
        assert stored_rows == []
        return
    assert {r.lead_id for r in stored_rows} == rendered.keys() - missing
    for r in stored_rows:
        assert bytes(r.doc) == rendered[r.lead_id], r.lead_id
        assert r.email == lone_email(db, portal_id, r.lead_id), r.lead_id


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

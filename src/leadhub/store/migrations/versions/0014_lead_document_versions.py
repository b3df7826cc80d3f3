"""Stored v1 lead documents on PostgreSQL, kept correct by a version per lead.

On SQLite a document is written only inside a write transaction, from that
transaction's data, with one writer at a time, and triggers delete it when
its lead changes (0005). On PostgreSQL a document is stored by a read: the
lead's rows are read in one statement (one snapshot), rendered, and stored
by a second statement, while writers in other processes commit in between.
Deleting the document on a change is then not enough: a read from before a
change could store its stale document after the change deleted nothing.

So each document row carries ``version``, and on PostgreSQL the triggers
below, on the same changes as 0005's (the lead, its primary contact, their
association, its conversion events and logs), bump the lead's version and
empty its document, inserting the row (with no document) if there is none.
A read takes the version with the rows, in the same snapshot, and stores
its document only while the row's version is still the one it read (none
read: only while there is no row); store/leaddocs.py ``PG_STORE``. A write
after the read has bumped it, so its document is never stored. A document
that is there is therefore current: served while not empty, without
looking at the version. Rows are never deleted (a deleted row would let a
read from before it store its document as if nothing had changed); those
of purged leads stay, empty.

The triggers are PostgreSQL's; SQLite keeps 0005's.

Revision ID: 0014_lead_document_versions
Revises: 0013_lead_document_archived
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_lead_document_versions"
down_revision = "0013_lead_document_archived"
branch_labels = None
depends_on = None

# 578/579: lead -> primary contact and back; 0-136: leads (crm_types).
_BUMP = """
CREATE FUNCTION lead_documents_bump(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO lead_documents AS d (lead_id, version)
    SELECT DISTINCT t.id, 1 FROM unnest(ids) AS t(id) WHERE t.id IS NOT NULL ORDER BY 1
    ON CONFLICT (lead_id) DO UPDATE SET version = d.version + 1, doc = NULL
$$
"""

# Per table: the leads a changed row (``{r}``: OLD or NEW) names.
_LEADS = {
    # A lead itself; a contact: the leads it is the primary contact of.
    "objects": (
        "SELECT {r}.id WHERE {r}.object_type = '0-136' UNION ALL "
        "SELECT a.to_id FROM associations a WHERE a.portal_id = {r}.portal_id "
        "AND a.from_id = {r}.id AND a.type_id = 579"
    ),
    "associations": (
        "SELECT CASE {r}.type_id WHEN 578 THEN {r}.from_id ELSE {r}.to_id END "
        "WHERE {r}.type_id IN (578, 579)"
    ),
    "conversion_events": "SELECT {r}.lead_id",
    "lead_logs": "SELECT {r}.lead_id",
}


def _function(table: str) -> str:
    old, new = _LEADS[table].format(r="OLD"), _LEADS[table].format(r="NEW")
    return f"""
CREATE FUNCTION lead_documents_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM lead_documents_bump(ARRAY({old}));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM lead_documents_bump(ARRAY({new}));
    END IF;
    RETURN NULL;
END
$$
"""


def _events(table: str) -> str:
    # A new object has no document yet; an object's id never changes.
    return "UPDATE OR DELETE" if table == "objects" else "INSERT OR UPDATE OR DELETE"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.add_column(
        "lead_documents",
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    )
    for column in ("portal_id", "guid", "doc"):
        op.alter_column("lead_documents", column, nullable=True)
    op.execute(_BUMP)
    for table in _LEADS:
        op.execute(_function(table))
        op.execute(
            f"CREATE TRIGGER lead_documents_{table} AFTER {_events(table)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION lead_documents_{table}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in _LEADS:
        op.execute(f"DROP TRIGGER IF EXISTS lead_documents_{table} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS lead_documents_{table}()")
    op.execute("DROP FUNCTION IF EXISTS lead_documents_bump(bigint[])")
    op.execute("DELETE FROM lead_documents")
    for column in ("portal_id", "guid", "doc"):
        op.alter_column("lead_documents", column, nullable=False)
    op.drop_column("lead_documents", "version")

"""Pre-rendered v1 lead documents, kept correct by triggers.

A v1 lead is a view over five tables; building it takes several queries and
a render in Python, which is most of the cost of a v1 GET. ``lead_documents``
holds each lead's rendered v1 JSON (links without the server's base URL),
filled after a read finds none. Triggers delete a lead's document in the same
transaction as any write to what it is made of (the lead, its primary
contact, their association, its conversion events and logs), whichever code
makes the write, so a stored document is never stale.

The triggers are SQLite's; on PostgreSQL the table stays empty and unused
(reads there go through the query path in a worker thread).

Revision ID: 0005_lead_documents
Revises: 0004_association_labels
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_lead_documents"
down_revision = "0004_association_labels"
branch_labels = None
depends_on = None

# A rowid alias on SQLite: the document is found by the table's own key.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# 578/579: lead -> primary contact and back (crm_types).
# Statements run for a changed row (NEW or OLD), per table.
_OBJECT = (
    "DELETE FROM lead_documents WHERE lead_id = {r}.id; "
    "DELETE FROM lead_documents WHERE lead_id IN (SELECT to_id FROM associations "
    "WHERE portal_id = {r}.portal_id AND from_id = {r}.id AND type_id = 579);"
)
_ASSOCIATION = (
    "DELETE FROM lead_documents WHERE {r}.type_id IN (578, 579) "
    "AND lead_id IN ({r}.from_id, {r}.to_id);"
)
_BY_LEAD = "DELETE FROM lead_documents WHERE lead_id = {r}.lead_id;"

TRIGGERS = {
    "objects": (_OBJECT, ("UPDATE", "DELETE")),
    "associations": (_ASSOCIATION, ("INSERT", "UPDATE", "DELETE")),
    "conversion_events": (_BY_LEAD, ("INSERT", "UPDATE", "DELETE")),
    "lead_logs": (_BY_LEAD, ("INSERT", "UPDATE", "DELETE")),
}


def _name(table: str, event: str) -> str:
    return f"lead_documents_{table}_{event.lower()}"


def upgrade() -> None:
    op.create_table(
        "lead_documents",
        sa.Column("lead_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("portal_id", sa.BigInteger, nullable=False),
        sa.Column("guid", sa.Text, nullable=False),
        sa.Column("doc", sa.LargeBinary, nullable=False),
    )
    op.create_index(
        "ix_lead_documents_guid", "lead_documents", ["portal_id", "guid"], unique=True
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, (body, events) in TRIGGERS.items():
        for event in events:
            # An object's id never changes; a row of the other tables may move.
            if event == "INSERT" or (event == "UPDATE" and table == "objects"):
                rows: tuple[str, ...] = ("NEW",)
            elif event == "DELETE":
                rows = ("OLD",)
            else:
                rows = ("OLD", "NEW")
            statements = " ".join(body.format(r=r) for r in rows)
            op.execute(
                f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                f"BEGIN {statements} END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, (_, events) in TRIGGERS.items():
            for event in events:
                op.execute(f"DROP TRIGGER IF EXISTS {_name(table, event)}")
    op.drop_index("ix_lead_documents_guid", "lead_documents")
    op.drop_table("lead_documents")

"""Stored v1 lead documents carry the email that finds them.

A v1 GET by email was three joined lookups (the contact holding the email,
its primary-contact associations, the document). A document now holds the
email of its lead's primary contact when that person has this one lead and
no other (``email``, indexed), so the read is one indexed lookup like the
read by guid. The column is written with the document, from the same write
transaction's data (store/leaddocs.py). The triggers of 0005 already delete a
lead's document when its contact or their association changes; a contact
that gains another lead must also lose the documents that say it has one
lead: the triggers below delete them. Documents stored before have no email
and are found the old way until they are stored again.

SQLite only, as the documents are (PostgreSQL reads go the query path).

Revision ID: 0011_lead_document_email
Revises: 0010_unique_values_holder
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_lead_document_email"
down_revision = "0010_unique_values_holder"
branch_labels = None
depends_on = None

# 578 lead -> primary contact, 579 primary contact -> lead (crm_types). A new or
# moved row names the contact on one side: every lead of that contact loses the
# email of its document.
_CONTACT_GAINS_A_LEAD = (
    "DELETE FROM lead_documents WHERE email IS NOT NULL AND lead_id IN ("
    "SELECT to_id FROM associations WHERE portal_id = NEW.portal_id AND type_id = 579 "
    "AND from_id = CASE NEW.type_id WHEN 579 THEN NEW.from_id ELSE NEW.to_id END);"
)
EVENTS = ("INSERT", "UPDATE")


def _name(event: str) -> str:
    return f"lead_documents_email_associations_{event.lower()}"


def upgrade() -> None:
    op.add_column("lead_documents", sa.Column("email", sa.Text, nullable=True))
    op.create_index("ix_lead_documents_email", "lead_documents", ["portal_id", "email"])
    if op.get_bind().dialect.name != "sqlite":
        return
    for event in EVENTS:
        op.execute(
            f"CREATE TRIGGER {_name(event)} AFTER {event} ON associations "
            f"WHEN NEW.type_id IN (578, 579) BEGIN {_CONTACT_GAINS_A_LEAD} END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {_name(event)}")
    op.drop_index("ix_lead_documents_email", "lead_documents")
    with op.batch_alter_table("lead_documents") as batch:
        batch.drop_column("email")

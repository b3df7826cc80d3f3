"""Stored v1 lead documents say whether their lead is deleted.

hubspot3's and hapipy's ``get_lead`` is a v1 list of one guid, which holds
that lead only if it is not deleted. Its read joined the document to the
lead's row to learn that; the document now carries the lead's ``archived``
flag, written with it from the same write transaction's data, so the read is
one indexed lookup like the read by guid. The triggers of 0005 already drop a
document whenever its lead's row changes, so the flag stays as current as the
document. Documents stored before say "not deleted" by default: those of
deleted leads are dropped (they are a cache, stored again when read).

Revision ID: 0013_lead_document_archived
Revises: 0012_submission_conflicts
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_lead_document_archived"
down_revision = "0012_submission_conflicts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "lead_documents",
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.execute(
        "DELETE FROM lead_documents WHERE lead_id IN (SELECT id FROM objects WHERE archived)"
    )


def downgrade() -> None:
    with op.batch_alter_table("lead_documents") as batch:
        batch.drop_column("archived")

"""Stored v1 lead documents mark where the base URL goes.

A document now holds a NUL byte at the start of each of its three links
(leads/documents.py BASE_MARK), so serving one is a single replace instead
of three searches and copies. Documents stored in the old form are dropped;
they are a cache and are stored again on their next read.

Revision ID: 0008_lead_document_marks
Revises: 0007_search_trgm_v3
Create Date: 2026-11-23
"""

from alembic import op

revision = "0008_lead_document_marks"
down_revision = "0007_search_trgm_v3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM lead_documents")


def downgrade() -> None:
    op.execute("DELETE FROM lead_documents")

"""Custom association labels (USER_DEFINED association types), one row per direction.

Revision ID: 0004_association_labels
Revises: 0003_search_trgm
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_association_labels"
down_revision = "0003_search_trgm"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "association_labels",
        sa.Column("portal_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.Integer, primary_key=True),
        sa.Column("from_type", sa.Text, nullable=False),
        sa.Column("to_type", sa.Text, nullable=False),
        sa.Column("reverse_type_id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_association_labels_pair", "association_labels", ["portal_id", "from_type", "to_type"]
    )


def downgrade() -> None:
    op.drop_index("ix_association_labels_pair", table_name="association_labels")
    op.drop_table("association_labels")

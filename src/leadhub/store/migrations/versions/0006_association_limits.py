"""Association limits (the schema API's definition configurations), per portal and type.

Revision ID: 0006_association_limits
Revises: 0005_lead_documents
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_association_limits"
down_revision = "0005_lead_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "association_limits",
        sa.Column("portal_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.Integer, primary_key=True),
        sa.Column("max_to_object_ids", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("association_limits")

"""Custom CRM property definitions and property groups (per portal and object type).

Revision ID: 0002_crm_properties
Revises: 0001_core
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_crm_properties"
down_revision = "0001_core"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "crm_property_defs",
        sa.Column("portal_id", sa.BigInteger, primary_key=True),
        sa.Column("object_type", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("definition", Json, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
        sa.Column("archived_at", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "crm_property_groups",
        sa.Column("portal_id", sa.BigInteger, primary_key=True),
        sa.Column("object_type", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("display_order", sa.Integer, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("crm_property_groups")
    op.drop_table("crm_property_defs")

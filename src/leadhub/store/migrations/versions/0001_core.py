"""Core tables: portals, tokens, CRM objects, history, associations, v1 lead data.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "portals",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("settings", Json, nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("token", sa.Text, primary_key=True),
        sa.Column("portal_id", sa.BigInteger, sa.ForeignKey("portals.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_tokens_portal", "tokens", ["portal_id"])
    op.create_table(
        "objects",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("portal_id", sa.BigInteger, nullable=False),
        sa.Column("object_type", sa.Text, nullable=False),
        sa.Column("props", Json, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
        sa.Column("archived_at", sa.BigInteger, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_objects_portal_type_id", "objects", ["portal_id", "object_type", "archived", "id"]
    )
    op.create_index(
        "ix_objects_portal_type_created",
        "objects",
        ["portal_id", "object_type", "archived", "created_at"],
    )
    op.create_index(
        "ix_objects_portal_type_updated",
        "objects",
        ["portal_id", "object_type", "archived", "updated_at"],
    )
    op.create_table(
        "unique_values",
        sa.Column("portal_id", sa.BigInteger, primary_key=True),
        sa.Column("object_type", sa.Text, primary_key=True),
        sa.Column("property", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, primary_key=True),
        sa.Column("object_id", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_unique_values_object", "unique_values", ["object_id"])
    op.create_table(
        "property_history",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("portal_id", sa.BigInteger, nullable=False),
        sa.Column("object_id", sa.BigInteger, nullable=False),
        sa.Column("property", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=True),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("source_type", sa.Text, nullable=False),
        sa.Column("source_id", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_property_history_object",
        "property_history",
        ["portal_id", "object_id", "property", "timestamp"],
    )
    op.create_table(
        "associations",
        sa.Column("portal_id", sa.BigInteger, primary_key=True),
        sa.Column("from_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.Integer, primary_key=True),
        sa.Column("to_id", sa.BigInteger, primary_key=True),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("from_type", sa.Text, nullable=False),
        sa.Column("to_type", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_associations_to", "associations", ["portal_id", "to_id", "type_id"])
    op.create_table(
        "conversion_events",
        sa.Column("guid", sa.Text, primary_key=True),
        sa.Column("portal_id", sa.BigInteger, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("convert_date", sa.BigInteger, nullable=False),
        sa.Column("form_guid", sa.Text, nullable=False),
        sa.Column("form_id", sa.BigInteger, nullable=False),
        sa.Column("form_name", sa.Text, nullable=False),
        sa.Column("page_name", sa.Text, nullable=False),
        sa.Column("page_type", sa.Text, nullable=False),
        sa.Column("page_url", sa.Text, nullable=False),
        sa.Column("fields", Json, nullable=False),
    )
    op.create_index(
        "ix_conversion_events_lead", "conversion_events", ["portal_id", "lead_id", "convert_date"]
    )
    op.create_table(
        "lead_logs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("portal_id", sa.BigInteger, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("inserted_at", sa.BigInteger, nullable=False),
        sa.Column("previous_state", sa.Boolean, nullable=False),
    )
    op.create_index("ix_lead_logs_lead", "lead_logs", ["portal_id", "lead_id"])


def downgrade() -> None:
    for table in (
        "lead_logs",
        "conversion_events",
        "associations",
        "property_history",
        "unique_values",
        "objects",
        "tokens",
        "portals",
    ):
        op.drop_table(table)

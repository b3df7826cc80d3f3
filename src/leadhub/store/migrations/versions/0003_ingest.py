"""Form insert: forms, portal host names, the submission queue, lead callbacks.

Revision ID: 0003_ingest
Revises: 0002_crm_properties
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003_ingest"
down_revision = "0002_crm_properties"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")
CLAIMABLE = "status IN ('pending', 'processing')"


def upgrade() -> None:
    op.create_table(
        "forms",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("portal_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.Text, nullable=False),
        sa.Column("guid", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("portal_id", "name_key", name="uq_forms_portal_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "portal_hosts",
        sa.Column("host", sa.Text, primary_key=True),
        sa.Column("portal_id", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("guid", sa.Text, nullable=False, unique=True),
        sa.Column("portal_id", sa.BigInteger, nullable=False),
        sa.Column("form_id", sa.BigInteger, nullable=False),
        sa.Column("form_name", sa.Text, nullable=False),
        sa.Column("form_guid", sa.Text, nullable=False),
        sa.Column("fields", Json, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("available_at", sa.BigInteger, nullable=False),
        sa.Column("claimed_by", sa.Text, nullable=True),
        sa.Column("received_at", sa.BigInteger, nullable=False),
        sa.Column("processed_at", sa.BigInteger, nullable=True),
        sa.Column("lead_id", sa.BigInteger, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_submissions_claim", "submissions", ["available_at", "id"],
        sqlite_where=sa.text(CLAIMABLE), postgresql_where=sa.text(CLAIMABLE),
    )
    op.create_index("ix_submissions_status", "submissions", ["status", "received_at"])
    op.create_table(
        "callback_urls",
        sa.Column("portal_id", sa.BigInteger, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "callbacks",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("portal_id", sa.BigInteger, nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("available_at", sa.BigInteger, nullable=False),
        sa.Column("claimed_by", sa.Text, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("delivered_at", sa.BigInteger, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_callbacks_claim", "callbacks", ["available_at", "id"],
        sqlite_where=sa.text(CLAIMABLE), postgresql_where=sa.text(CLAIMABLE),
    )


def downgrade() -> None:
    for table in ("callbacks", "callback_urls", "submissions", "portal_hosts", "forms"):
        op.drop_table(table)

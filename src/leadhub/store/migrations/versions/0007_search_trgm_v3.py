"""Trigram indexes for the CRM v3 search `query` and CONTAINS_TOKEN on PostgreSQL.

The v3 search's free-text `query` looks for the text in every searchable
property of the object type (crm/property_defaults.py SEARCHABLE) with
``props ->> 'p' ILIKE '%text%'``; CONTAINS_TOKEN filters do the same on one
property. 0003_search_trgm indexed the contact properties the v1 list
searches; these are the rest of the searchable ones, so that a BitmapOr over
every property of the `query` is possible. Nothing happens on SQLite.

Revision ID: 0007_search_trgm_v3
Revises: 0006_association_limits
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007_search_trgm_v3"
down_revision = "0006_association_limits"
branch_labels = None
depends_on = None

# Contacts: phone, website; companies: name, domain (website, phone shared); leads.
SEARCHED = ("phone", "website", "name", "domain", "hs_lead_name")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first() is None:
        return  # 0003_search_trgm found no pg_trgm on this server
    for prop in SEARCHED:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS ix_objects_trgm_{prop} ON objects "
            f"USING gin ((props ->> '{prop}') gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for prop in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS ix_objects_trgm_{prop}")

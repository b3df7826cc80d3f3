"""An index of unique values by the object holding them.

``release_unique`` (store/objects.py), which every new lead runs for its
guid, deletes by portal, object type, property and object id. Without an
index on all four, SQLite's planner (no statistics) serves it from the
primary key's three-column prefix and reads every lead guid of the portal,
with a table lookup each, while holding the write lock: on a 100,000-lead
store that one statement was 83% of the ingest worker's time (bench/NOTES.md).
With this index it is one lookup.

Revision ID: 0010_unique_values_holder
Revises: 0009_contact_search_fts
Create Date: 2026-11-23
"""

from alembic import op

revision = "0010_unique_values_holder"
down_revision = "0009_contact_search_fts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_unique_values_holder",
        "unique_values",
        ["portal_id", "object_type", "property", "object_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_unique_values_holder", table_name="unique_values")

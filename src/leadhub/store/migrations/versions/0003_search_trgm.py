"""Trigram indexes for the v1 list's `search` on PostgreSQL.

The v1 `search` is a case-insensitive contains (``props ->> 'email' ILIKE
'%term%'``) on the contact's firstname, lastname, email and company. A
B-tree cannot serve a leading wildcard; a pg_trgm GIN index on the same
expression can: a rare term of three or more characters reads only the
matching rows instead of walking every lead of the portal (on a million
leads: 9 ms instead of 31 s, see docs/scaling.md). For common terms the
planner still walks the list's sort index and stops after one page.
SQLite has no such index (its FTS5 trigram tables would need their own
copy of the data): there this migration does nothing.

Revision ID: 0003_search_trgm
Revises: 0003_ingest
Create Date: 2026-11-23
"""

import logging

from alembic import op

revision = "0003_search_trgm"
down_revision = "0003_ingest"
branch_labels = None
depends_on = None

log = logging.getLogger("leadhub")

# The contact properties the v1 search reads (store/leadlist.py).
SEARCHED = ("firstname", "lastname", "email", "company")


def _index(prop: str) -> str:
    return f"ix_objects_trgm_{prop}"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).first()
    if available is None:
        log.warning("pg_trgm is not installed on this server: v1 search will scan contacts")
        return
    # pg_trgm is a trusted extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for prop in SEARCHED:
        # The expression must be exactly the one the query compiles to
        # (tests/store/test_search_index.py checks that it is).
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(prop)} ON objects "
            f"USING gin ((props ->> '{prop}') gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for prop in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS {_index(prop)}")

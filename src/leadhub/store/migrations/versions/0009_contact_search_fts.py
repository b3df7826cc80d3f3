"""A trigram full-text index of the contact properties the v1 list searches (SQLite).

The v1 `search` is a case-insensitive substring match on the contact's
firstname, lastname, email and company. No B-tree serves a leading
wildcard, so on SQLite a rare term read every contact of the portal (30 s on
a million leads). ``contact_search`` is an FTS5 table with the trigram
tokenizer holding those four values per contact (rowid = the contact's
object id); a term of three or more characters finds its candidate contacts
there. It only narrows the candidates: the list still applies the LIKE
match, so results are exactly those of the scan (store/leadlist.py).

Triggers keep it in step with ``objects`` in the same transaction as any
write, whichever code makes it. PostgreSQL has pg_trgm indexes instead
(0003_search_trgm); nothing happens there.

Revision ID: 0009_contact_search_fts
Revises: 0008_lead_document_marks
Create Date: 2026-11-23
"""

from alembic import op

revision = "0009_contact_search_fts"
down_revision = "0008_lead_document_marks"
branch_labels = None
depends_on = None

CONTACTS = "0-1"
# The contact properties the v1 search reads (store/leadlist.py SEARCHED_PROPS).
SEARCHED = ("firstname", "lastname", "email", "company")


def _values(row: str) -> str:
    return ", ".join(f"json_extract({row}.props, '$.\"{p}\"')" for p in SEARCHED)


def _changed() -> str:
    return " OR ".join(
        f"json_extract(OLD.props, '$.\"{p}\"') IS NOT json_extract(NEW.props, '$.\"{p}\"')"
        for p in SEARCHED
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    columns = ", ".join(SEARCHED)
    op.execute(
        f"CREATE VIRTUAL TABLE contact_search USING fts5({columns}, tokenize='trigram')"
    )
    insert = f"INSERT INTO contact_search (rowid, {columns}) VALUES (NEW.id, {_values('NEW')});"
    op.execute(
        "CREATE TRIGGER contact_search_insert AFTER INSERT ON objects "
        f"WHEN NEW.object_type = '{CONTACTS}' BEGIN {insert} END"
    )
    op.execute(
        "CREATE TRIGGER contact_search_update AFTER UPDATE OF props ON objects "
        f"WHEN NEW.object_type = '{CONTACTS}' AND ({_changed()}) "
        f"BEGIN DELETE FROM contact_search WHERE rowid = OLD.id; {insert} END"
    )
    op.execute(
        "CREATE TRIGGER contact_search_delete AFTER DELETE ON objects "
        f"WHEN OLD.object_type = '{CONTACTS}' "
        "BEGIN DELETE FROM contact_search WHERE rowid = OLD.id; END"
    )
    op.execute(
        f"INSERT INTO contact_search (rowid, {columns}) "
        f"SELECT id, {_values('objects')} FROM objects WHERE object_type = '{CONTACTS}'"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS contact_search_{event}")
    op.execute("DROP TABLE IF EXISTS contact_search")

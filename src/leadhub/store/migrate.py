"""Schema migrations with Alembic, driven from code (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from leadhub.errors import LeadhubError
from leadhub.store.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class StoreTooNew(LeadhubError):
    """The store was migrated by a newer leadhub than this one."""


def _config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["engine"] = db.engine
    return cfg


def current_revision(db: Database) -> str | None:
    """The revision the store is at, or None for an empty store."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str:
    """The newest revision this leadhub knows."""
    head = ScriptDirectory.from_config(_config(db)).get_current_head()
    assert head is not None
    return head


def check_not_newer(db: Database) -> None:
    """Refuse a store that a newer leadhub has migrated past our migrations."""
    current = current_revision(db)
    if current is None:
        return
    script = ScriptDirectory.from_config(_config(db))
    if not any(rev.revision == current for rev in script.walk_revisions()):
        raise StoreTooNew(
            f"the store is at schema revision {current}, which this leadhub does not know; "
            "it was upgraded by a newer leadhub. Run that version, or restore a backup."
        )


def upgrade(db: Database) -> None:
    """Bring the store to the newest schema (idempotent)."""
    check_not_newer(db)
    command.upgrade(_config(db), "head")

"""Operations on a store: ``leadhub backup`` and ``leadhub restore`` (SQLite).

A backup is a consistent copy of a live store, taken with SQLite's online
backup API: it copies one snapshot of the database while servers and
workers go on reading and writing, and it is written to a temporary file
and renamed into place, so a backup file is either complete or absent.
A restore copies a backup back with the same API, which takes the write
lock, so running servers see the old or the restored store, never a mix.
PostgreSQL stores are backed up with PostgreSQL's own tools (pg_dump).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from leadhub.config import database_url_from_env
from leadhub.errors import LeadhubError
from leadhub.store import Database
from leadhub.store.migrate import MIGRATIONS_DIR, upgrade


class OperationError(LeadhubError):
    """An operation on a store that cannot be done as asked."""


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL; OperationError for other stores."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        raise OperationError(
            "leadhub backup and restore copy SQLite stores; back up PostgreSQL "
            "with pg_dump and restore with pg_restore"
        )
    if not url.database or url.database == ":memory:":
        raise OperationError("an in-memory SQLite store has nothing to back up")
    return Path(url.database)


def _integrity(conn: sqlite3.Connection) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise OperationError(f"the copy failed SQLite's integrity check: {result}")


def backup(database_url: str, output: Path, *, force: bool = False) -> Path:
    """Copy a live SQLite store consistently to ``output``; returns the file written."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise OperationError(f"no store at {source}")
    if output.exists() and not force:
        raise OperationError(f"{output} exists; pass --force to replace it")
    partial = output.with_name(f".{output.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        with dst:
            # pages=-1: the whole database in one step, i.e. from one snapshot.
            src.backup(dst, pages=-1)
        _integrity(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()
    with partial.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, output)
    return output


def restore(database_url: str, backup_file: Path, *, force: bool = False) -> None:
    """Replace a SQLite store's contents with a backup, then migrate it to this version."""
    target = sqlite_path(database_url)
    if not backup_file.is_file():
        raise OperationError(f"no backup file at {backup_file}")
    src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        _integrity(src)
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in tables or "portals" not in tables:
            raise OperationError(f"{backup_file} is not a leadhub store")
        revision = src.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision and revision[0] not in known_revisions():
            raise OperationError(
                f"{backup_file} is at schema revision {revision[0]}, which this leadhub does "
                "not know; restore it with the newer leadhub that wrote it"
            )
        if target.exists() and _has_portals(target) and not force:
            raise OperationError(
                f"the store at {target} holds data; pass --force to replace it with the backup"
            )
        dst = sqlite3.connect(target, timeout=30)
        try:
            with dst:
                src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
    db = Database(database_url)
    try:
        upgrade(db)
    finally:
        db.dispose()


def known_revisions() -> set[str]:
    """Every schema revision this leadhub's migrations know."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}


def _has_portals(path: Path) -> bool:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return bool(conn.execute("SELECT count(*) FROM portals").fetchone()[0])
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


_database_option = click.option(
    "--database-url", envvar="LEADHUB_DATABASE_URL", default=None,
    help="URL of the store (env LEADHUB_DATABASE_URL; default sqlite:///leadhub.db).",
)


@click.command("backup")
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True,
              help="File to write the copy to.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@_database_option
def backup_command(output: Path, force: bool, database_url: str | None) -> None:
    """Write a consistent copy of a (live) SQLite store to a file."""
    try:
        written = backup(database_url_from_env(database_url), output, force=force)
    except (LeadhubError, sqlite3.Error) as exc:
        raise click.ClickException(getattr(exc, "message", str(exc))) from None
    click.echo(f"backed up to {written} ({written.stat().st_size} bytes)")


@click.command("restore")
@click.option("--input", "-i", "input_file", type=click.Path(path_type=Path), required=True,
              help="Backup file written by leadhub backup.")
@click.option("--force", is_flag=True, help="Replace a store that holds data.")
@_database_option
def restore_command(input_file: Path, force: bool, database_url: str | None) -> None:
    """Replace a SQLite store's contents with a backup."""
    url = database_url_from_env(database_url)
    try:
        restore(url, input_file, force=force)
    except (LeadhubError, sqlite3.Error) as exc:
        raise click.ClickException(getattr(exc, "message", str(exc))) from None
    click.echo(f"restored {input_file} into {sqlite_path(url)}")

"""``leadhub import``: load v1 leads from a CSV file into a portal, with a progress bar."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from leadhub.config import database_url_from_env
from leadhub.errors import LeadhubError
from leadhub.leads.importer import SOURCE_TYPE, ImportResult, check_columns, import_batch
from leadhub.store import Database
from leadhub.store import portals as portal_store
from leadhub.store.migrate import upgrade
from leadhub.store.objects import Change
from leadhub.util import now_ms

BATCH_ROWS = 5_000
SHOWN_REJECTIONS = 20


def _count_rows(path: Path) -> int:
    """Lines after the header: the progress bar's total (quoted newlines make it an estimate)."""
    count = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
    return max(count - 1, 0)


def run_import(
    db: Database, portal_id: int, path: Path, *, progress: bool = True, batch_rows: int = BATCH_ROWS
) -> ImportResult:
    """Import a CSV file of v1 leads into a portal, one transaction per batch of rows."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if db.read_call(portal_store.get_portal, portal_id) is None:
        raise LeadhubError(f"portal {portal_id} does not exist")
    change = Change(now_ms(), SOURCE_TYPE, f"import:{path.name}")
    total = ImportResult()
    bar = Progress(
        TextColumn("importing {task.fields[name]}"), BarColumn(), MofNCompleteColumn(),
        TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
        disable=not progress, transient=False,
    )
    with path.open(newline="", encoding="utf-8-sig") as f, bar:
        reader = csv.DictReader(f)
        check_columns(list(reader.fieldnames or []))
        task = bar.add_task("import", total=_count_rows(path), name=path.name)
        batch: list[tuple[int, dict[str, str | None]]] = []
        for row in reader:
            if None in row:
                total.rejected.append((reader.line_num, "more cells than columns in the header"))
                continue
            batch.append((reader.line_num, row))
            if len(batch) >= batch_rows:
                total.add(db.write_call(import_batch, portal_id, batch, change))
                bar.advance(task, len(batch))
                batch = []
                # Plans of the next batches' lookups see the tables as they have grown.
                db.statistics.after_writes()
        if batch:
            total.add(db.write_call(import_batch, portal_id, batch, change))
            bar.advance(task, len(batch))
    # And so do the reads that follow the import.
    db.statistics.after_writes(now=True)
    return total


@click.command("import")
@click.option("--portal", "portal_id", type=int, required=True, help="Portal to import into.")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--database-url", envvar="LEADHUB_DATABASE_URL", default=None,
    help="SQLAlchemy-style URL of the store (default sqlite:///leadhub.db).",
)
@click.option(
    "--progress/--no-progress", default=None, help="Show a progress bar (default: on a terminal)."
)
def import_leads(
    portal_id: int, csv_file: Path, database_url: str | None, progress: bool | None
) -> None:
    """Import leads from a CSV file whose columns are v1 lead field names.

    A row whose email is already a contact's updates that contact and its
    lead; other rows create a contact and a lead. Property history records
    the values with source IMPORT. Rows with bad values are reported and
    skipped (exit status 1).
    """
    db = Database(database_url_from_env(database_url))
    try:
        upgrade(db)
        show = sys.stderr.isatty() if progress is None else progress
        result = run_import(db, portal_id, csv_file, progress=show)
    except LeadhubError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.dispose()
    click.echo(
        f"imported {result.created + result.updated} rows: {result.created} leads created, "
        f"{result.updated} updated, {len(result.rejected)} rejected"
    )
    for line, reason in result.rejected[:SHOWN_REJECTIONS]:
        click.echo(f"line {line}: {reason}", err=True)
    if len(result.rejected) > SHOWN_REJECTIONS:
        click.echo(f"... and {len(result.rejected) - SHOWN_REJECTIONS} more", err=True)
    if result.rejected:
        sys.exit(1)

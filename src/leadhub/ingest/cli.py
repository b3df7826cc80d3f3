"""The ``leadhub form``, ``leadhub queue`` and ``leadhub worker`` commands."""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import replace
from typing import Any

import click
import sqlalchemy.exc

from leadhub.config import DATABASE_URL_ENV, database_url_from_env
from leadhub.errors import LeadhubError
from leadhub.ingest import service
from leadhub.store import Database
from leadhub.store.migrate import upgrade

PUBLIC_URL_ENV = "LEADHUB_PUBLIC_URL"

database_option = click.option(
    "--database-url", envvar=DATABASE_URL_ENV, default=None,
    help=f"URL of the store (env {DATABASE_URL_ENV}; default sqlite:///leadhub.db).",
)
public_url_option = click.option(
    "--public-url", envvar=PUBLIC_URL_ENV, default="http://127.0.0.1:8080", show_default=True,
    help=f"The server's public base URL, for form URLs and lead links (env {PUBLIC_URL_ENV}).",
)


def _open(database_url: str | None) -> Database:
    url = database_url_from_env(database_url)
    try:
        db = Database(url)
        upgrade(db)
    except sqlalchemy.exc.OperationalError as exc:
        raise click.ClickException(f"cannot open the store at {url}: {exc.orig}") from None
    return db


def _run(db: Database, fn: Any, *args: Any, write: bool = False, **kwargs: Any) -> Any:
    try:
        return (db.write_call if write else db.read_call)(fn, *args, **kwargs)
    except LeadhubError as exc:
        raise click.ClickException(exc.message) from None


@click.group()
def form() -> None:
    """Configure the forms a portal accepts posts for."""


@form.command("create")
@click.option("--portal", "portal_id", type=int, required=True)
@click.option("--name", required=True, help="The FormName posts will carry.")
@database_option
@public_url_option
def form_create(portal_id: int, name: str, database_url: str | None, public_url: str) -> None:
    """Create a form and print the URL to post to."""
    db = _open(database_url)
    created = _run(db, service.create_form, portal_id, name, write=True)
    click.echo(_run(db, service.form_url, created, public_url))


@form.command("list")
@click.option("--portal", "portal_id", type=int, default=None)
@database_option
@public_url_option
def form_list(portal_id: int | None, database_url: str | None, public_url: str) -> None:
    """List forms: portal, form id, form guid, name, URL."""
    db = _open(database_url)
    for f in _run(db, service.list_forms, portal_id):
        url = _run(db, service.form_url, f, public_url)
        click.echo(f"{f.portal_id}\t{f.id}\t{f.guid}\t{f.name}\t{url}")


@form.command("config")
@click.option("--portal", "portal_id", type=int, required=True)
@click.option("--add-host", multiple=True, help="A host name that identifies this portal.")
@click.option("--remove-host", multiple=True)
@click.option(
    "--accept-new-forms/--reject-new-forms", default=None,
    help="Register unknown FormNames on first post instead of rejecting them.",
)
@database_option
def form_config(
    portal_id: int,
    add_host: tuple[str, ...],
    remove_host: tuple[str, ...],
    accept_new_forms: bool | None,
    database_url: str | None,
) -> None:
    """Show or change a portal's form-insert settings."""
    cfg = _run(
        _open(database_url), service.configure, portal_id, write=True,
        add_hosts=list(add_host), remove_hosts=list(remove_host),
        accept_new_forms=accept_new_forms,
    )
    click.echo(f"portal {cfg.portal_id}")
    click.echo(f"hosts: {', '.join(cfg.hosts) or '(none)'}")
    click.echo(f"unknown form names: {'accepted' if cfg.accept_new_forms else 'rejected'}")


@click.group()
def queue() -> None:
    """Inspect the form submission queue."""


def _age(ms: int | None) -> str:
    return "-" if ms is None else f"{ms / 1000:.1f}s"


@queue.command("status")
@click.option("--portal", "portal_id", type=int, default=None)
@database_option
def queue_status(portal_id: int | None, database_url: str | None) -> None:
    """Counts of pending, processing, failed and processed submissions."""
    st = _run(_open(database_url), service.queue_status, portal_id)
    s = st.submissions
    click.echo(
        f"submissions: pending {s['pending']}  processing {s['processing']}  "
        f"failed {s['failed']}  processed {s['done']}  "
        f"oldest pending {_age(st.oldest_pending_age_ms)}"
    )
    c = st.callbacks
    click.echo(
        f"callbacks:   pending {c['pending']}  processing {c['processing']}  "
        f"failed {c['failed']}  delivered {c['done']}  "
        f"oldest pending {_age(st.oldest_callback_age_ms)}"
    )
    for sub in st.failed:
        click.echo(
            f"failed {sub.guid} portal {sub.portal_id} form {sub.form_name!r} "
            f"after {sub.attempts} attempts: {sub.last_error}"
        )


@queue.command("retry")
@click.option("--portal", "portal_id", type=int, default=None)
@database_option
def queue_retry(portal_id: int | None, database_url: str | None) -> None:
    """Put failed submissions and callbacks back in the queue."""
    subs, cbs = _run(_open(database_url), service.retry_failed, portal_id, write=True)
    click.echo(f"requeued {subs} submissions and {cbs} callbacks")


@click.command()
@database_option
@public_url_option
@click.option("--batch", type=int, default=None, help="Submissions per claim and transaction.")
@click.option("--lease-seconds", type=float, default=None, help="How long a claim is held.")
@click.option("--poll-seconds", type=float, default=None, help="Idle wait between polls.")
@click.option("--no-callbacks", is_flag=True, help="Do not deliver lead callbacks here.")
@click.option(
    "--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
    help="Worker processes to run (and restart when one dies).",
)
def worker(
    database_url: str | None,
    public_url: str,
    batch: int | None,
    lease_seconds: float | None,
    poll_seconds: float | None,
    no_callbacks: bool,
    concurrency: int,
) -> None:
    """Process queued form posts (and deliver callbacks) until stopped."""
    from leadhub.ingest.worker import Worker, WorkerConfig

    url = database_url_from_env(database_url)
    _open(url).dispose()
    if concurrency > 1:
        from leadhub.processes import supervise, worker_command

        args = ["--database-url", url, "--public-url", public_url]
        for name, value in (("batch", batch), ("lease-seconds", lease_seconds),
                            ("poll-seconds", poll_seconds)):
            if value is not None:
                args += [f"--{name}", str(value)]
        args += ["--no-callbacks"] if no_callbacks else []
        raise SystemExit(supervise(worker_command(args), concurrency, click.echo))
    cfg = WorkerConfig.from_env()
    cfg = replace(
        cfg,
        batch=batch or cfg.batch,
        lease_seconds=lease_seconds or cfg.lease_seconds,
        poll_seconds=poll_seconds or cfg.poll_seconds,
        callbacks=cfg.callbacks and not no_callbacks,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    running = Worker(url, public_url, cfg)
    running.start()
    click.echo(f"leadhub worker {running.id} (pid {os.getpid()}) processing the form queue")
    stop.wait()
    running.stop()

"""The ``leadhub`` command: serve, db, portal, token."""

from __future__ import annotations

import click
import sqlalchemy.exc

from leadhub import ops, portals
from leadhub.config import DATABASE_URL_ENV, Settings, database_url_from_env
from leadhub.errors import LeadhubError
from leadhub.store import Database
from leadhub.store import portals as portal_store
from leadhub.store.migrate import upgrade

database_option = click.option(
    "--database-url",
    envvar=DATABASE_URL_ENV,
    default=None,
    help=f"SQLAlchemy-style URL of the store (env {DATABASE_URL_ENV}; "
    "default sqlite:///leadhub.db).",
)


def _open(database_url: str | None) -> Database:
    url = database_url_from_env(database_url)
    try:
        db = Database(url)
        upgrade(db)
    except LeadhubError as exc:
        raise click.ClickException(exc.message) from None
    except sqlalchemy.exc.OperationalError as exc:
        raise click.ClickException(f"cannot open the store at {url}: {exc.orig}") from None
    return db


@click.group()
@click.version_option(package_name="leadhub")
def main() -> None:
    """leadhub: a self-hosted server that speaks HubSpot's Leads APIs."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@database_option
@click.option("--demo", is_flag=True, help="Create HubSpot's demo portal 62515 and sample lead.")
@click.option(
    "--public-url", default=None, help="Base URL used in links (default http://host:port)."
)
@click.option(
    "--no-worker", is_flag=True, help="Do not process the form queue here (run `leadhub worker`)."
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True,
    help="API processes sharing the port (see docs/scaling.md).",
)
def serve(
    host: str,
    port: int,
    database_url: str | None,
    demo: bool,
    public_url: str | None,
    no_worker: bool,
    workers: int,
) -> None:
    """Serve the APIs (migrating the store first)."""
    import uvicorn

    from leadhub.app import create_app
    from leadhub.leads.demo import DEMO_PORTAL_ID, DEMO_TOKEN, ensure_demo
    from leadhub.processes import limit_malloc_arenas

    limit_malloc_arenas()

    settings = Settings(
        database_url=database_url_from_env(database_url),
        host=host,
        port=port,
        public_url=public_url,
        embedded_worker=not no_worker,
    )
    db = _open(settings.database_url)
    created = db.write_call(portals.ensure_default)
    if created:
        portal, token = created
        click.echo(f"Created portal {portal.id} with access token {token.token}")
    if demo:
        db.write_call(ensure_demo)
        click.echo(f"Demo portal {DEMO_PORTAL_ID}, access token {DEMO_TOKEN}")
    tokens = db.read_call(portal_store.list_tokens)
    click.echo(f"leadhub serving on {settings.base_url}")
    if tokens:
        click.echo(f"Access token for portal {tokens[0].portal_id}: {tokens[0].token}")
    if workers > 1:
        from leadhub.processes import serve_processes

        db.dispose()
        serve_processes(settings, workers)
        return
    app = create_app(settings, db)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@main.group()
def db() -> None:
    """Manage the store's schema."""


@db.command("upgrade")
@database_option
def db_upgrade(database_url: str | None) -> None:
    """Apply every pending migration."""
    _open(database_url)
    click.echo("store is at the newest schema")


@main.group()
def portal() -> None:
    """Manage portals."""


@portal.command("create")
@click.option("--name", default="Portal", show_default=True)
@click.option("--id", "portal_id", type=int, default=None, help="Portal id (default: next free).")
@database_option
def portal_create(name: str, portal_id: int | None, database_url: str | None) -> None:
    """Create a portal and print its id."""
    created = _open(database_url).write_call(portals.create_portal, name, portal_id)
    click.echo(created.id)


@portal.command("list")
@database_option
def portal_list(database_url: str | None) -> None:
    """List portals."""
    for p in _open(database_url).read_call(portal_store.list_portals):
        click.echo(f"{p.id}\t{p.name}")


@main.group()
def token() -> None:
    """Manage access tokens."""


@token.command("create")
@click.option("--portal", "portal_id", type=int, required=True)
@click.option("--name", default="default", show_default=True)
@database_option
def token_create(portal_id: int, name: str, database_url: str | None) -> None:
    """Create an access token for a portal and print it."""
    from leadhub.errors import LeadhubError

    try:
        created = _open(database_url).write_call(portals.create_token, portal_id, None, name)
    except LeadhubError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(created.token)


@token.command("list")
@click.option("--portal", "portal_id", type=int, default=None)
@database_option
def token_list(portal_id: int | None, database_url: str | None) -> None:
    """List access tokens (portal, name, token)."""
    for t in _open(database_url).read_call(portal_store.list_tokens, portal_id):
        click.echo(f"{t.portal_id}\t{t.name}\t{t.token}")


from leadhub.importcmd import import_leads  # noqa: E402
from leadhub.ingest.cli import form, queue, worker  # noqa: E402
from leadhub.limits_cli import portal_limits  # noqa: E402

main.add_command(import_leads)
main.add_command(form)
main.add_command(queue)
main.add_command(worker)
main.add_command(ops.backup_command)
main.add_command(ops.restore_command)
portal.add_command(portal_limits)

"""``leadhub portal limits``: show or set a portal's rate limits (see leadhub/ratelimit.py)."""

from __future__ import annotations

import click

from leadhub.config import DATABASE_URL_ENV, database_url_from_env
from leadhub.errors import LeadhubError, NotFound
from leadhub.ratelimit import Limits, limits_of, settings_with
from leadhub.store import Database
from leadhub.store import portals as portal_store
from leadhub.store.migrate import upgrade


def set_limits(conn, portal_id: int, per_second: int | None, daily: int | None) -> Limits:  # type: ignore[no-untyped-def]
    """Change a portal's limits (None keeps a value, 0 removes it); returns the new ones."""
    portal = portal_store.get_portal(conn, portal_id)
    if portal is None:
        raise NotFound(f"portal {portal_id} does not exist")
    current = limits_of(portal.settings)
    new = Limits(
        current.per_second if per_second is None else per_second,
        current.daily if daily is None else daily,
    )
    portal_store.update_settings(conn, portal_id, settings_with(portal.settings, new))
    return new


def describe(limits: Limits) -> str:
    """One line saying what applies."""
    if not limits.on:
        return "no rate limits"
    parts = []
    if limits.per_second:
        parts.append(f"{limits.per_second} requests per second")
    if limits.daily:
        parts.append(f"{limits.daily} requests per day")
    return ", ".join(parts) + " per access token"


@click.command("limits")
@click.option("--portal", "portal_id", type=int, required=True)
@click.option("--per-second", type=click.IntRange(min=0), default=None,
              help="Requests per second per token (0: no limit).")
@click.option("--daily", type=click.IntRange(min=0), default=None,
              help="Requests per UTC day per token (0: no limit).")
@click.option("--off", is_flag=True, help="Remove every limit.")
@click.option("--database-url", envvar=DATABASE_URL_ENV, default=None,
              help="URL of the store (default sqlite:///leadhub.db).")
def portal_limits(
    portal_id: int, per_second: int | None, daily: int | None, off: bool,
    database_url: str | None,
) -> None:
    """Show or set a portal's rate limits (off by default)."""
    if off:
        per_second, daily = 0, 0
    try:
        db = Database(database_url_from_env(database_url))
        upgrade(db)
        limits = db.write_call(set_limits, portal_id, per_second, daily)
    except LeadhubError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"portal {portal_id}: {describe(limits)}")

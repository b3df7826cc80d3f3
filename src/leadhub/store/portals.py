"""Repository of portals and their access tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.store.schema import portals, tokens


@dataclass(frozen=True)
class Portal:
    id: int
    name: str
    created_at: int
    settings: dict[str, Any]


@dataclass(frozen=True)
class Token:
    token: str
    portal_id: int
    name: str
    created_at: int


def create_portal(
    conn: Connection, name: str, at: int, portal_id: int | None = None
) -> Portal:
    """Create a portal; its id is the next free one unless given."""
    if portal_id is None:
        highest = conn.execute(sa.select(sa.func.max(portals.c.id))).scalar()
        portal_id = max(int(highest or 0) + 1, 1)
    conn.execute(
        portals.insert().values(id=portal_id, name=name, created_at=at, settings={})
    )
    return Portal(portal_id, name, at, {})


def get_portal(conn: Connection, portal_id: int) -> Portal | None:
    """One portal, or None."""
    r = conn.execute(sa.select(portals).where(portals.c.id == portal_id)).first()
    return Portal(r.id, r.name, r.created_at, dict(r.settings)) if r else None


def list_portals(conn: Connection) -> list[Portal]:
    """All portals, by id."""
    rows = conn.execute(sa.select(portals).order_by(portals.c.id))
    return [Portal(r.id, r.name, r.created_at, dict(r.settings)) for r in rows]


def update_settings(conn: Connection, portal_id: int, settings: dict[str, Any]) -> None:
    """Replace a portal's settings document."""
    conn.execute(portals.update().where(portals.c.id == portal_id).values(settings=settings))


def create_token(conn: Connection, portal_id: int, token: str, name: str, at: int) -> Token:
    """Store a new credential for a portal."""
    conn.execute(
        tokens.insert().values(token=token, portal_id=portal_id, name=name, created_at=at)
    )
    return Token(token, portal_id, name, at)


def list_tokens(conn: Connection, portal_id: int | None = None) -> list[Token]:
    """Credentials, of one portal or of all."""
    query = sa.select(tokens).order_by(tokens.c.portal_id, tokens.c.created_at)
    if portal_id is not None:
        query = query.where(tokens.c.portal_id == portal_id)
    return [Token(r.token, r.portal_id, r.name, r.created_at) for r in conn.execute(query)]


def portal_for_token(conn: Connection, token: str) -> int | None:
    """The portal a credential belongs to, or None."""
    return conn.execute(
        sa.select(tokens.c.portal_id).where(tokens.c.token == token)
    ).scalar_one_or_none()

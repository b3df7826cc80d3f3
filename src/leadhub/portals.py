"""Portals and credentials: creating them and resolving a credential to its portal."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Connection

from leadhub.errors import NotFound
from leadhub.store import portals as store
from leadhub.store.portals import Portal, Token
from leadhub.util import now_ms


def new_token() -> str:
    """A fresh access token in HubSpot's private-app shape."""
    return f"pat-lh1-{uuid.uuid4()}"


def create_portal(conn: Connection, name: str, portal_id: int | None = None) -> Portal:
    """Create a portal (next free id unless given)."""
    return store.create_portal(conn, name, now_ms(), portal_id)


def create_token(
    conn: Connection, portal_id: int, token: str | None = None, name: str = "default"
) -> Token:
    """Create a credential for an existing portal."""
    if store.get_portal(conn, portal_id) is None:
        raise NotFound(f"portal {portal_id} does not exist")
    return store.create_token(conn, portal_id, token or new_token(), name, now_ms())


def ensure_default(conn: Connection) -> tuple[Portal, Token] | None:
    """On an empty store, create a first portal and token; None if portals exist."""
    if store.list_portals(conn):
        return None
    portal = create_portal(conn, "Default portal")
    return portal, create_token(conn, portal.id)

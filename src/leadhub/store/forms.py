"""Repository of form-insert configuration: forms, portal host names, callback URLs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.store.schema import callback_urls, forms, portal_hosts


@dataclass(frozen=True)
class Form:
    id: int
    portal_id: int
    name: str
    guid: str
    created_at: int


def _form(r: Any) -> Form:
    return Form(r.id, r.portal_id, r.name, r.guid, r.created_at)


def create_form(conn: Connection, portal_id: int, name: str, guid: str, at: int) -> Form:
    """Store a new form (the caller checked the name is free)."""
    form_id = conn.execute(
        forms.insert()
        .values(portal_id=portal_id, name=name, name_key=name.lower(), guid=guid, created_at=at)
        .returning(forms.c.id)
    ).scalar_one()
    return Form(form_id, portal_id, name, guid, at)


def find_form(conn: Connection, portal_id: int, name: str) -> Form | None:
    """A portal's form by name, in any case."""
    r = conn.execute(
        sa.select(forms).where(forms.c.portal_id == portal_id, forms.c.name_key == name.lower())
    ).first()
    return _form(r) if r is not None else None


def list_forms(conn: Connection, portal_id: int | None = None) -> list[Form]:
    """Forms of one portal or of all, by portal and id."""
    query = sa.select(forms).order_by(forms.c.portal_id, forms.c.id)
    if portal_id is not None:
        query = query.where(forms.c.portal_id == portal_id)
    return [_form(r) for r in conn.execute(query)]


def portal_for_host(conn: Connection, host: str) -> int | None:
    """The portal a host name is configured for."""
    return conn.execute(
        sa.select(portal_hosts.c.portal_id).where(portal_hosts.c.host == host)
    ).scalar_one_or_none()


def hosts_of(conn: Connection, portal_id: int) -> list[str]:
    """The host names configured for a portal."""
    rows = conn.execute(
        sa.select(portal_hosts.c.host)
        .where(portal_hosts.c.portal_id == portal_id)
        .order_by(portal_hosts.c.host)
    )
    return [r[0] for r in rows]


def add_host(conn: Connection, portal_id: int, host: str) -> None:
    """Configure a host name for a portal (the caller checked it is free)."""
    conn.execute(portal_hosts.insert().values(host=host, portal_id=portal_id))


def remove_host(conn: Connection, portal_id: int, host: str) -> None:
    """Forget a portal's host name."""
    conn.execute(
        portal_hosts.delete().where(
            portal_hosts.c.portal_id == portal_id, portal_hosts.c.host == host
        )
    )


_CALLBACK_URL = sa.select(callback_urls.c.url).where(
    callback_urls.c.portal_id == sa.bindparam("portal_id")
)


def get_callback_url(conn: Connection, portal_id: int) -> str | None:
    """A portal's lead callback URL, or None (read for every form batch: built once)."""
    return conn.execute(_CALLBACK_URL, {"portal_id": portal_id}).scalar_one_or_none()


def set_callback_url(conn: Connection, portal_id: int, url: str | None, at: int) -> None:
    """Register (or with None, remove) a portal's lead callback URL."""
    conn.execute(callback_urls.delete().where(callback_urls.c.portal_id == portal_id))
    if url is not None:
        conn.execute(callback_urls.insert().values(portal_id=portal_id, url=url, updated_at=at))

"""Repository of the lead callbacks' queue: the claim scheme of ``queue``, applied to callbacks."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from leadhub.store.queue import DONE, PENDING, claim_ids, expire_exhausted
from leadhub.store.schema import callbacks


@dataclass(frozen=True)
class Callback:
    """One lead callback to deliver."""

    id: int
    portal_id: int
    lead_id: int
    url: str
    attempts: int
    claimed_by: str | None
    status: str


def add_callback(conn: Connection, portal_id: int, lead_id: int, url: str, at: int) -> None:
    """Queue a callback for a new lead (in the transaction that stored the lead)."""
    add_callbacks(conn, portal_id, [lead_id], url, at)


def add_callbacks(
    conn: Connection, portal_id: int, lead_ids: list[int], url: str, at: int
) -> None:
    """Queue a callback for each of these new leads (in the transaction that stored them)."""
    if lead_ids:
        conn.execute(callbacks.insert(), [
            {"portal_id": portal_id, "lead_id": lead_id, "url": url, "status": PENDING,
             "attempts": 0, "available_at": at, "claimed_by": None, "created_at": at}
            for lead_id in lead_ids
        ])


def claim_callbacks(
    conn: Connection, worker: str, now: int, lease_ms: int, limit: int, max_attempts: int
) -> list[Callback]:
    """Fail exhausted leases, then claim due callbacks."""
    expire_exhausted(conn, callbacks, now, max_attempts)
    ids = claim_ids(conn, callbacks, worker, now, lease_ms, limit)
    if not ids:
        return []
    rows = conn.execute(
        sa.select(callbacks).where(callbacks.c.id.in_(ids)).order_by(callbacks.c.id)
    )
    return [
        Callback(r.id, r.portal_id, r.lead_id, r.url, r.attempts, r.claimed_by, r.status)
        for r in rows
    ]


def finish_callback(conn: Connection, callback_id: int, worker: str, at: int) -> None:
    """Record a delivered callback (if this worker still holds it)."""
    conn.execute(
        callbacks.update()
        .where(callbacks.c.id == callback_id, callbacks.c.claimed_by == worker)
        .values(status=DONE, delivered_at=at, claimed_by=None, last_error=None)
    )

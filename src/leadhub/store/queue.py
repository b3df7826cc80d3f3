"""Repository of the durable work queues: form submissions (lead callbacks: ``callbackqueue``).

Both tables share one claim scheme, defined here for several workers in
several processes:

- a row is ``pending`` (``available_at`` = when it may run), ``processing``
  (``available_at`` = when its lease runs out), ``done`` or ``failed``;
- ``claim`` moves due rows to ``processing`` in one short transaction:
  ``attempts + 1``, ``claimed_by`` = the worker, lease = now + lease. On
  PostgreSQL the candidate rows are locked ``FOR UPDATE SKIP LOCKED``, so
  concurrent claimers take disjoint rows without waiting; on SQLite the
  write transaction (``BEGIN IMMEDIATE``) serializes claimers;
- a ``processing`` row whose lease ran out is due again: the worker holding
  it died. A row out of attempts is moved to ``failed`` with its error;
- the work and the move to ``done`` commit in ONE transaction, which first
  re-reads the row ``FOR UPDATE`` (``lock``) and proceeds only while this
  worker still holds it; done rows are never processed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from leadhub.store.db import Database
from leadhub.store.pgbatch import keys
from leadhub.store.schema import CLAIMABLE, callbacks, submissions
from leadhub.store.sql import json_text

PENDING = "pending"
PROCESSING = "processing"
DONE = "done"
FAILED = "failed"
STATUSES = (PENDING, PROCESSING, FAILED, DONE)


@dataclass
class Submission:
    """One accepted form post."""

    id: int
    guid: str
    portal_id: int
    form_id: int
    form_name: str
    form_guid: str
    fields: list[tuple[str, str]]
    status: str
    attempts: int
    claimed_by: str | None
    received_at: int
    last_error: str | None = None
    conflicts: int = 0


def _submission(r: Any) -> Submission:
    return Submission(
        id=r.id,
        guid=r.guid,
        portal_id=r.portal_id,
        form_id=r.form_id,
        form_name=r.form_name,
        form_guid=r.form_guid,
        fields=[(str(k), str(v)) for k, v in r.fields],
        status=r.status,
        attempts=r.attempts,
        claimed_by=r.claimed_by,
        received_at=r.received_at,
        last_error=r.last_error,
        conflicts=r.conflicts,
    )


# The columns of an accepted submission (the keys ``enqueue`` takes), then those every
# new row starts with.
_ACCEPTED = ("guid", "portal_id", "form_id", "form_name", "form_guid", "fields", "received_at")
_PENDING = {"status": PENDING, "attempts": 0, "claimed_by": None, "processed_at": None,
            "lead_id": None, "last_error": None}
_ENQUEUED = (*_ACCEPTED, *_PENDING, "available_at")
# The same insert as one prebuilt statement for a raw SQLite connection.
_ENQUEUE_SQLITE = (
    f"INSERT INTO {submissions.name} ({', '.join(_ENQUEUED)}) "
    f"VALUES ({', '.join('?' * len(_ENQUEUED))})"
)

# The same insert on PostgreSQL, one statement for a group: its rows as one JSON array
# taken apart by PostgreSQL (``pgbatch.keys``, each row a key), inserted in their order.
_ENQUEUE_PG = (
    f"INSERT INTO {submissions.name} ({', '.join(_ENQUEUED)}) "
    f"SELECT {', '.join(_ENQUEUED)} FROM "
    + keys(**{
        c: submissions.c[c].type.compile(dialect=postgresql.dialect()).lower()
        for c in _ENQUEUED
    })
    + " ORDER BY k.n"
)


def _pending(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, **_PENDING, "available_at": row["received_at"]}


def enqueue(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert accepted submissions (keys: guid, portal_id, form_id, form_name, form_guid,
    fields, received_at) as pending."""
    if rows:
        conn.execute(submissions.insert(), [_pending(row) for row in rows])


def enqueue_durably(db: Database, rows: list[dict[str, Any]]) -> None:
    """``enqueue`` in a durable write transaction of its own.

    For the group commit of form posts the engine's per-transaction work cost
    more than the insert. On a SQLite file the rows go in through one
    prebuilt statement on the writer's own connection (``Database.raw_write``);
    on PostgreSQL as one statement in a transaction of its own, the rows as
    one JSON array (``Database.point_writes``: one round trip, where the
    engine's checkout, ping, ``BEGIN``, insert and ``COMMIT`` took four).
    Elsewhere (SQLite in memory) through the engine.
    """
    if db.point_writes is not None:
        if rows:
            group = [[full[c] for c in _ENQUEUED] for full in map(_pending, rows)]
            db.point_writes.write(_ENQUEUE_PG, {"keys": json_text(group)})
        return
    if not db.fast_path:
        db.write_call(enqueue, rows)
        return
    values = []
    for row in rows:
        full = _pending(row)
        full["fields"] = json_text(full["fields"])
        values.append(tuple(full[c] for c in _ENQUEUED))
    with db.raw_write() as conn:
        conn.executemany(_ENQUEUE_SQLITE, values)


# ---------------------------------------------------------------- claiming (both queues)


def _expire(table: sa.Table) -> sa.Update:
    return (
        table.update()
        .where(
            sa.text(CLAIMABLE),  # lets SQLite read the claim index, not every row
            table.c.status == PROCESSING,
            table.c.available_at <= sa.bindparam("now"),
            table.c.attempts >= sa.bindparam("max_attempts"),
        )
        .values(
            status=FAILED,
            claimed_by=None,
            last_error=sa.func.coalesce(table.c.last_error, "")
            + sa.bindparam("note", type_=sa.Text),
        )
    )


def _claim(table: sa.Table) -> sa.Update:
    return (
        table.update()
        .where(table.c.id.in_(sa.bindparam("ids", expanding=True)))
        .values(
            status=PROCESSING,
            attempts=table.c.attempts + 1,
            available_at=sa.bindparam("until"),
            claimed_by=sa.bindparam("worker"),
        )
    )


def _candidates(table: sa.Table, sqlite: bool) -> sa.Executable:
    """The oldest due rows, read from the index of claimable rows (``ix_<table>_claim``).

    SQLite's planner, without statistics, reads every pending row through the
    status index and sorts them, for each claim: with tens of thousands
    queued that was most of a batch's time. The claim index holds only the
    claimable rows, in the order claims take them; SQLite is told to use it.
    """
    if sqlite:
        return sa.text(
            f"SELECT id FROM {table.name} INDEXED BY ix_{table.name}_claim "
            f"WHERE {CLAIMABLE} AND available_at <= :now ORDER BY available_at, id LIMIT :limit"
        )
    return (
        sa.select(table.c.id)
        .where(sa.text(CLAIMABLE), table.c.available_at <= sa.bindparam("now"))
        .order_by(table.c.available_at, table.c.id)
        .limit(sa.bindparam("limit"))
        .with_for_update(skip_locked=True)
    )


# Built once: a worker claims a batch many times a second, and building these
# statements cost more than running them.
_EXPIRE = {t.name: _expire(t) for t in (submissions, callbacks)}
_CLAIM = {t.name: _claim(t) for t in (submissions, callbacks)}
_CANDIDATES = {(t.name, lite): _candidates(t, lite) for t in (submissions, callbacks)
               for lite in (False, True)}


def expire_exhausted(conn: Connection, table: sa.Table, now: int, max_attempts: int) -> int:
    """Fail rows whose lease ran out on their last attempt; returns how many."""
    result = conn.execute(_EXPIRE[table.name], {
        "now": now, "max_attempts": max_attempts,
        "note": f"[the worker processing it stopped {max_attempts} times]",
    })
    return result.rowcount or 0


def claim_ids(
    conn: Connection, table: sa.Table, worker: str, now: int, lease_ms: int, limit: int
) -> list[int]:
    """Claim up to ``limit`` due rows for ``worker``; returns their ids, oldest first."""
    candidates = _CANDIDATES[table.name, conn.dialect.name == "sqlite"]
    ids = [r[0] for r in conn.execute(candidates, {"now": now, "limit": limit})]
    if ids:
        conn.execute(_CLAIM[table.name], {"ids": ids, "until": now + lease_ms, "worker": worker})
    return sorted(ids)


def claim_holders(conn: Connection, table: sa.Table, prefix: str) -> list[str]:
    """The workers whose names start with ``prefix`` that hold claims."""
    rows = conn.execute(
        sa.select(table.c.claimed_by)
        .where(
            sa.text(CLAIMABLE),  # lets SQLite read the claim index, not every row
            table.c.status == PROCESSING,
            table.c.claimed_by.startswith(prefix, autoescape=True),
        )
        .distinct()
    )
    return [r[0] for r in rows]


def release_claims(conn: Connection, table: sa.Table, worker: str, now: int) -> int:
    """Make a gone worker's claims due at once (their attempts stay counted)."""
    result = conn.execute(
        table.update()
        .where(
            sa.text(CLAIMABLE),  # lets SQLite read the claim index, not every row
            table.c.status == PROCESSING,
            table.c.claimed_by == worker,
        )
        .values(available_at=now)
    )
    return result.rowcount or 0


def release_for_retry(
    conn: Connection,
    table: sa.Table,
    row_id: int,
    error: str,
    *,
    retry_at: int | None,
    refund_attempt: bool = False,
) -> None:
    """Record a failed attempt: pending again from ``retry_at``, or failed for good (None).

    ``refund_attempt`` (a clash, on submissions) gives the attempt back and
    counts the clash instead."""
    values: dict[str, Any] = {"claimed_by": None, "last_error": error[:4000]}
    if refund_attempt:
        values["attempts"] = table.c.attempts - 1
        values["conflicts"] = table.c.conflicts + 1
    if retry_at is None:
        values["status"] = FAILED
    else:
        values.update(status=PENDING, available_at=retry_at)
    conn.execute(table.update().where(table.c.id == row_id).values(**values))


def status_counts(
    conn: Connection, table: sa.Table, age_column: str, portal_id: int | None = None
) -> tuple[dict[str, int], int | None]:
    """Rows per status and the oldest pending row's timestamp (``age_column``)."""
    where = [table.c.portal_id == portal_id] if portal_id is not None else []
    rows = conn.execute(
        sa.select(table.c.status, sa.func.count()).where(*where).group_by(table.c.status)
    )
    counts = {status: 0 for status in STATUSES}
    counts.update({r[0]: int(r[1]) for r in rows})
    oldest = conn.execute(
        sa.select(sa.func.min(table.c[age_column])).where(table.c.status == PENDING, *where)
    ).scalar()
    return counts, oldest


def requeue_failed(conn: Connection, table: sa.Table, now: int, portal_id: int | None) -> int:
    """Give failed rows a fresh set of attempts; returns how many."""
    where = [table.c.status == FAILED]
    if portal_id is not None:
        where.append(table.c.portal_id == portal_id)
    fresh: dict[str, Any] = {"status": PENDING, "attempts": 0, "available_at": now}
    if "conflicts" in table.c:
        fresh["conflicts"] = 0
    result = conn.execute(table.update().where(*where).values(**fresh))
    return result.rowcount or 0


# ---------------------------------------------------------------- submissions


def claim_submissions(
    conn: Connection, worker: str, now: int, lease_ms: int, limit: int, max_attempts: int
) -> list[int]:
    """Fail exhausted leases, then claim due submissions (see the module docstring)."""
    expire_exhausted(conn, submissions, now, max_attempts)
    return claim_ids(conn, submissions, worker, now, lease_ms, limit)


_LOCK_SUBMISSIONS = (
    sa.select(submissions)
    .where(submissions.c.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(submissions.c.id)
    .with_for_update()
)


def lock_submissions(conn: Connection, submission_ids: list[int]) -> list[Submission]:
    """Re-read claimed submissions inside the processing transaction, locking their rows
    (in id order, as every worker does); those that are gone are left out."""
    if not submission_ids:
        return []
    rows = conn.execute(_LOCK_SUBMISSIONS, {"ids": submission_ids})
    found = {r.id: _submission(r) for r in rows}
    return [found[i] for i in submission_ids if i in found]


_MARK_DONE = submissions.update().where(submissions.c.id == sa.bindparam("sub_id")).values(
    status=DONE, processed_at=sa.bindparam("at"), lead_id=sa.bindparam("done_lead"),
    claimed_by=None, last_error=None,
)


def mark_done(conn: Connection, submission_id: int, lead_id: int, at: int) -> None:
    """Record a processed submission (in the transaction that processed it)."""
    mark_many_done(conn, {submission_id: lead_id}, at)


def mark_many_done(conn: Connection, lead_of: dict[int, int], at: int) -> None:
    """Record processed submissions, each with its lead (submission id -> lead id)."""
    if lead_of:
        conn.execute(_MARK_DONE, [
            {"sub_id": sub_id, "done_lead": lead_id, "at": at}
            for sub_id, lead_id in lead_of.items()
        ])


def get_submission(conn: Connection, guid: str) -> Submission | None:
    """A submission by guid."""
    r = conn.execute(sa.select(submissions).where(submissions.c.guid == guid)).first()
    return _submission(r) if r is not None else None


def failed_submissions(
    conn: Connection, limit: int, portal_id: int | None = None
) -> list[Submission]:
    """The most recent failed submissions with their errors."""
    query = (
        sa.select(submissions)
        .where(submissions.c.status == FAILED)
        .order_by(submissions.c.id.desc())
        .limit(limit)
    )
    if portal_id is not None:
        query = query.where(submissions.c.portal_id == portal_id)
    return [_submission(r) for r in conn.execute(query)]

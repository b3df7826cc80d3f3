"""The v1 documents stored by writes: with each SQLite write transaction, and for leads read
twice without one.

Whatever writes a lead (an import, the form worker, a v1 update, a v3 write
of a lead, its contact or their associations), the transaction renders and
stores the lead's document again just before its commit, from its own data
(``store_written``, registered with ``store.db.on_lead_writes`` when this
module is imported), so that the lead's next read is one lookup of its
document (leads/documents.py). A lead read without a document (written by
another program, or whose document failed to store) has it stored by a
background write after its second such read (``StoreLater``).

On PostgreSQL an import stores the documents of the leads it creates, in its
own transaction (``pg_fill``); other writes there only empty them, and reads
store them (leads/pgdocuments.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import anyio
from sqlalchemy.engine import Connection

from leadhub.leads import fields as F
from leadhub.leads import rawload
from leadhub.leads.render import to_document
from leadhub.leads.service import LeadView
from leadhub.store import Database, leaddocs, leadrows
from leadhub.store.db import is_unavailable, on_lead_writes
from leadhub.store.pgbatch import run_batched

log = logging.getLogger("leadhub")

# Leads rendered and stored in one statement's batch.
FILL_BATCH = 500
# Leads read once without a stored document, remembered to store it on the next read.
SEEN_MAX = 100_000


def fill(conn: Connection, portal_id: int, lead_ids: Sequence[int]) -> None:
    """Render and store the documents of these leads from this write transaction's data.

    A lead without a guid (a row written by another program) has none: no read
    by guid finds it, and the guid is the documents' unique key.
    """
    views = rawload.load(leadrows.driver_rows(conn), portal_id, lead_ids)
    leaddocs.put_many(
        conn, portal_id,
        ((v.lead.id, v.guid, to_document(v), v.lead.archived) for v in views if v.guid),
    )


def store_written(conn: Connection, changed: dict[int, list[int]]) -> None:
    """Store the documents of the leads (by portal) this write transaction changed.

    The hook of every SQLite write transaction (``store.db.on_lead_writes``),
    called just before its commit with the leads its writes changed, whatever
    wrote them: imports and the form worker in batches, v1 updates, v3 writes
    of leads, their contacts and their associations
    (``store.leaddocs.take_stale``). A lead written is usually read soon, and
    imported ones are later read for the first time one by one: rendered
    here, each such read is one lookup of its document instead of a read of
    its rows and a render (about 8 µs against 60-80 µs in-process). The
    documents are made from this transaction's own data, after its writes
    (whose triggers dropped any older ones), so they are current when it
    commits. PostgreSQL has no such hook: there an import stores the documents
    of the leads it creates (``pg_fill``), and reads store the others. A
    failure here is logged and undone alone; the transaction's writes stand,
    and the leads are read from their rows as before.
    """
    try:
        with leaddocs.savepoint(conn):
            for portal_id, ids in changed.items():
                for start in range(0, len(ids), FILL_BATCH):
                    fill(conn, portal_id, ids[start:start + FILL_BATCH])
    except Exception as exc:
        if is_unavailable(exc):
            raise  # the whole transaction fails
        count = sum(len(ids) for ids in changed.values())
        log.exception("storing the documents of %d written leads failed", count)


on_lead_writes(store_written)


def store_imported(conn: Connection, portal_id: int, guids: Sequence[str]) -> None:
    """The documents of the leads of these guids, which this import transaction
    created: on PostgreSQL stored here (``pg_fill``); on SQLite the commit's hook
    stores those of every lead the transaction wrote (``store_written``)."""
    if conn.dialect.name == "postgresql":
        pg_fill(conn, portal_id, guids)


def pg_fill(conn: Connection, portal_id: int, guids: Sequence[str]) -> None:
    """PostgreSQL: store the documents of the leads of these guids, created by this
    write transaction, from its data, as a read stores them.

    The leads are read by guid as a point read reads them
    (``leaddocs.pg_docs_by_guids``: the rows, with the version of the lead's
    document), and each document stored under that version (``leaddocs.PG_STORE``).
    In the transaction that wrote the leads no other can change them before it
    commits, so every one is stored. A failure is logged and undone alone (a
    savepoint); the transaction's writes stand, and the leads are read from their
    rows as before.
    """
    read = leaddocs.pg_docs_by_guids(F.GUID_PROP)
    try:
        with conn.begin_nested():
            for start in range(0, len(guids), FILL_BATCH):
                keys = [(portal_id, g.strip().lower(), None)
                        for g in guids[start:start + FILL_BATCH]]
                stores = []
                for row in run_batched(conn, read, keys):
                    view = rawload.pg_docs_view(row)  # the version read is row[2]
                    if view is not None and view.guid:
                        stores.append(leaddocs.pg_store_key(
                            view.lead.id, portal_id, view.guid, to_document(view),
                            view.lead.archived, row[2]))
                if stores:
                    run_batched(conn, leaddocs.PG_STORE, stores)
    except Exception as exc:
        if is_unavailable(exc):
            raise  # the whole transaction fails
        log.exception("storing the documents of %d imported leads failed", len(guids))


class StoreLater:
    """The documents of leads read without one, stored by a background write from their
    second such read on, in one transaction per batch, from data read inside it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: dict[int, set[int]] = {}
        self.seen: set[int] = set()
        self._task: asyncio.Task[None] | None = None

    def schedule(self, view: LeadView) -> None:
        """Store the document of a lead read without one, from its second such read on
        (``admit``)."""
        if not self.admit(view.lead.id):
            return
        self.pending.setdefault(view.lead.portal_id, set()).add(view.lead.id)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush())

    def admit(self, lead_id: int) -> bool:
        """Whether to store the document of a lead read without one: from its second such
        read on.

        Storing a document costs more than reading the lead's rows (writing
        it and its index entries, and checkpointing them into the file):
        worth it for a lead that is read again, a loss for one read once,
        as most are when reads spread over a large store. So a lead's first
        read without a document only remembers it (a set of at most
        SEEN_MAX ids, emptied when full); the next one stores it.
        """
        if lead_id not in self.seen:  # object ids are unique across portals
            if len(self.seen) >= SEEN_MAX:
                self.seen.clear()
            self.seen.add(lead_id)
            return False
        self.seen.discard(lead_id)
        return True

    async def _flush(self) -> None:
        await asyncio.sleep(0.01)  # let a burst of misses gather into one write
        while self.pending:
            portal_id, ids = next(iter(self.pending.items()))
            batch = [ids.pop() for _ in range(min(FILL_BATCH, len(ids)))]
            if not ids:
                del self.pending[portal_id]
            try:
                await anyio.to_thread.run_sync(self._fill, portal_id, batch)
            except Exception:  # noqa: BLE001 - a cache fill must never break serving
                log.exception("storing %d lead documents failed", len(batch))

    def _fill(self, portal_id: int, lead_ids: list[int]) -> None:
        with self.db.write(durable=False) as conn:
            fill(conn, portal_id, lead_ids)


__all__ = [
    "FILL_BATCH", "SEEN_MAX", "StoreLater", "fill", "pg_fill", "store_imported", "store_written",
]

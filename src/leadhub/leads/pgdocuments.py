"""v1 lead documents on PostgreSQL: read with the reads waiting at once, held by version.

A read's statement is shared with the reads waiting at once
(store/pgbatch.py) and says the lead's id and the version of its document
(migration 0014); it sends the stored document only where the process does
not already hold the document of that version (``PgDocuments.kept``). A lead
without one is read from its rows and rendered, and its document is stored
at its second read (store/leaddocs.py ``PG_STORE``: only while the version
read with the rows is still the lead's). ``LeadDocuments``
(leads/documents.py) answers through these on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from leadhub.leads import fields as F
from leadhub.leads import rawload
from leadhub.leads.render import to_document
from leadhub.store import Database, leaddocs
from leadhub.store.leadlist import LeadListQuery, pg_list_sql
from leadhub.store.pgbatch import BatchReads

log = logging.getLogger("leadhub")

# A lead's document held in the process, of the version of the lead it was made at:
# (version, document, lead deleted, guid).
Kept = tuple[int, bytes, bool, str]

# The first part of the keys of answers kept (``BatchReads.kept_or_read``).
BY_GUID = "v1 by guid"
BY_EMAIL = "v1 by email"

# Documents held in the process (about 2 KB each), and guids and emails whose lead is
# remembered.
PG_KEPT_MAX = 10_000


class PgDocuments:
    """The v1 JSON bodies of leads on PostgreSQL.

    ``body`` wraps documents in the JSON array of an answer, with this server's
    links; ``admit`` says whether to store the document of a lead read without
    one (``docwrites.StoreLater.admit``: from its second such read on).
    """

    def __init__(
        self, db: Database, body: Callable[[Sequence[bytes]], bytes],
        admit: Callable[[int], bool],
    ) -> None:
        if db.batch is None or db.batch_pages is None or db.batch_stores is None:
            raise TypeError("PostgreSQL's documents on another store")
        # The event loop's readers: point reads, list pages, and the stores of documents.
        self._reads: BatchReads = db.batch
        self._pages: BatchReads = db.batch_pages
        self._stores: BatchReads = db.batch_stores
        self.body = body
        self._admit = admit
        # Documents read or rendered here, by lead id, with the version of the lead
        # they were made at and whether it is deleted (each read asks the store
        # whether that version is still the lead's); and the lead each guid and each
        # email found last.
        self.kept: dict[int, Kept] = {}
        self._guids: dict[tuple[int, str], int] = {}
        self._emails: dict[tuple[int, str], int] = {}
        # Stores of documents under way: their tasks, and their leads.
        self.storing: set[asyncio.Task[None]] = set()
        self._leads_storing: set[int] = set()

    async def by_guid(self, portal_id: int, guid: str, *, live: bool = False) -> bytes | None:
        """``[lead]`` for a guid (``live``: only if the lead is not deleted,
        as a list of that one guid holds it); None if there is no such lead.

        The answer is kept while nothing is committed to the store
        (``BatchReads.kept_or_read``). Else one statement, shared with the
        reads waiting at once (store/pgbatch.py), says the lead's id and its
        document's version, and sends the stored document unless this process
        holds that version's document already (``kept``). Where neither holds
        its document, the same statement reads the lead's rows, rendered here
        (``_missed``).
        """
        key = (portal_id, guid.strip().lower())
        return await self._reads.kept_or_read(
            (BY_GUID, live, *key), lambda: self._by_guid(key, live))

    async def _by_guid(self, key: tuple[int, str], live: bool) -> bytes | None:
        portal_id = key[0]
        kept = self.kept.get(self._guids.get(key, 0))
        row = await self._reads.get(
            leaddocs.pg_docs_by_guids(F.GUID_PROP), (*key, kept[0] if kept else None))
        if row is None:
            return None
        found = self._found(portal_id, row, kept) or self._missed(row)
        if found is None:
            return None
        lead_id, doc, archived = found
        _remember(self._guids, key, lead_id)
        return None if live and archived else self.body([doc])

    async def by_email(self, portal_id: int, email: str) -> bytes | None:
        """``[lead]`` for an email (normalized), the lead the lookup rules
        choose, read and kept as ``by_guid`` reads and keeps it; None if it finds
        none."""
        return await self._reads.kept_or_read(
            (BY_EMAIL, portal_id, email), lambda: self._by_email(portal_id, email))

    async def _by_email(self, portal_id: int, email: str) -> bytes | None:
        key = (portal_id, email)
        known = self._emails.get(key, 0)
        kept = self.kept.get(known)
        row = await self._reads.get(
            leaddocs.pg_docs_by_emails(F.FIRST_CONVERTED_PROP),
            (*key, known if kept else None, kept[0] if kept else None))
        if row is None:
            return None
        found = self._found(
            portal_id, row, kept if row[1] == known else None) or self._missed(row)
        if found is None:
            return None
        _remember(self._emails, key, found[0])
        return self.body([found[1]])

    async def page(self, query: LeadListQuery) -> bytes:
        """One page of a v1 list (not restricted to guids) as a JSON array.

        One statement (``leaddocs.pg_page_docs``) runs the list's own SQL and reads
        its leads' stored documents, and the rows of those without one, rendered
        here (and stored at their second such read, as a point read stores them);
        one snapshot, no transaction, on the event loop's connections for pages
        (``Database.batch_pages``), its values written into its text: a page asked
        again is planned once (``BatchReads.read``). The documents are not held in the process:
        pages of many leads would push out those of the leads read again and again
        by guid or email.
        """
        sql, values = pg_list_sql(query)
        docs = []
        for row in await self._pages.read(
                leaddocs.pg_page_docs(sql), values, binary=True, inline=True):
            found = self._found(query.portal_id, row, None, hold=False) or self._missed(
                row, hold=False)
            if found is not None:
                docs.append(found[1])
        return self.body(docs)

    def _found(
        self, portal_id: int, row: tuple[Any, ...], kept: Kept | None, *, hold: bool = True
    ) -> tuple[int, bytes, bool] | None:
        """(lead id, document, deleted) from a row of ``leaddocs.pg_docs_by_guids`` or
        ``pg_docs_by_emails``, given what the process held of that lead before
        (``kept``); None if neither holds the lead's document of its version now. A
        document held here but not stored is stored now: its lead is read at least
        the second time. A document sent is held from now on, unless not ``hold``."""
        _, lead_id, version, doc, archived, stored, guid = row[:leaddocs.PG_ROWS_AT]
        if doc is not None:
            if hold:
                _remember(self.kept, lead_id, (version, doc, archived, guid))
            return lead_id, doc, archived
        if kept is None or version != kept[0]:
            return None
        if not stored:
            self.store_later(lead_id, portal_id, kept)
        return lead_id, kept[1], kept[2]

    def _missed(
        self, row: tuple[Any, ...], *, hold: bool = True
    ) -> tuple[int, bytes, bool] | None:
        """(lead id, document, deleted) of a lead read from its rows on PostgreSQL, from
        the same row of ``leaddocs.pg_docs_by_guids`` or ``pg_docs_by_emails`` (None if
        it has none: no such lead): its document held for reads of the row's version
        (0 for a lead without a document row; not if not ``hold``), and stored at its
        next read (``_found``) or, if this is its second read without a document
        held, now."""
        view = rawload.pg_docs_view(row)
        if view is None:
            return None
        version = row[2]
        doc = to_document(view)
        kept = (version, doc, view.lead.archived, view.guid)
        if view.guid:
            if hold:
                _remember(self.kept, view.lead.id, kept)
            if self._admit(view.lead.id):
                self.store_later(view.lead.id, view.lead.portal_id, kept)
        return view.lead.id, doc, view.lead.archived

    def store_later(self, lead_id: int, portal_id: int, kept: Kept) -> None:
        """Store a lead's document of a version, while that version is still the lead's
        (store/leaddocs.py ``PG_STORE``), in the background, with the others waiting."""
        if lead_id in self._leads_storing:
            return
        self._leads_storing.add(lead_id)
        version, doc, archived, guid = kept
        task = asyncio.get_running_loop().create_task(
            self._store(leaddocs.pg_store_key(lead_id, portal_id, guid, doc, archived, version)))
        self.storing.add(task)
        task.add_done_callback(self.storing.discard)
        task.add_done_callback(lambda _: self._leads_storing.discard(lead_id))

    async def _store(self, key: tuple[Any, ...]) -> None:
        try:
            await self._stores.get(leaddocs.PG_STORE, key)
        except Exception:  # noqa: BLE001 - a cache fill must never break serving
            log.exception("storing a lead document failed")


K = TypeVar("K")
V = TypeVar("V")


def _remember(held: dict[K, V], key: K, value: V) -> None:
    """``held[key] = value``, ``held`` emptied first when it holds PG_KEPT_MAX entries."""
    if len(held) >= PG_KEPT_MAX and key not in held:
        held.clear()
    held[key] = value

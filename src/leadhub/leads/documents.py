"""v1 lead JSON served from pre-rendered documents, rendered and stored on a miss.

A v1 GET is the hottest call: on SQLite it is answered by one indexed lookup
of the lead's stored document (store/leaddocs.py) with the server's base URL
spliced into its three links. A stored document marks each link's start
with a NUL byte, which orjson never writes (it escapes control characters
inside strings), so the splice is a single ``bytes.replace``. A lead
without a stored document is read from its rows (leads/rawload.py, the
same view as service.load) in one read transaction on that connection,
rendered, and answered; from its second such read on, its document is
stored shortly after by a background write, in one transaction per batch,
from data read inside that write transaction (leads/docwrites.py
``StoreLater``). Triggers delete a document whenever its lead changes, so
what is stored is always current; and every write transaction of this
process stores again, before its commit, the documents of the leads it
changed (leads/docwrites.py ``store_written``), so that a lead written
through any face is read with one lookup. Stored documents are a cache:
the background write that stores them does not wait for the disk (a
machine's crash may lose them, never partly and never without every later
write, so never leaving a stale one).

On PostgreSQL the reads go through ``PgDocuments`` (leads/pgdocuments.py):
shared with the reads waiting at once, the documents held by the version
of their lead, and stored at a lead's second read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy.engine import Connection

from leadhub.crm_types import LEADS
from leadhub.leads import fields as F
from leadhub.leads import rawload, service
from leadhub.leads.coldreads import ColdReads
from leadhub.leads.docwrites import StoreLater
from leadhub.leads.pgdocuments import PgDocuments
from leadhub.leads.render import BASE_MARK, to_document
from leadhub.leads.service import LeadView
from leadhub.store import Database, leaddocs, leadrows
from leadhub.store.leadlist import (
    LeadListQuery,
    plan_search,
    sqlite_list_sql,
)
from leadhub.store.sqliteraw import TooLong

log = logging.getLogger("leadhub")

# A list page's JSON array, and the views of its leads read without a stored document.
Page = tuple[bytes, list[LeadView]]
# SQLite VM steps a list page may take on the event loop before it is read in a
# worker thread instead. On 100,000 leads an indexed page takes about 100, a
# common search word's walk of the sort order about 5,000 (1 ms), an offset of
# 1,000 about 13,000 (2 ms); a sort by a property without an index or a scan
# for a rare two-letter word takes millions (about a second).
INLINE_STEPS = 10_000


class LeadDocuments:
    """The v1 JSON bodies of leads, from stored documents when there are some."""

    def __init__(self, db: Database, base_url: str) -> None:
        self.db = db
        self.enabled = db.fast_path is not None
        # The base URL as it appears inside a JSON string.
        self._base = orjson.dumps(base_url.rstrip("/"))[1:-1]
        self.later = StoreLater(db)
        self.cold = ColdReads()
        self._pg = PgDocuments(db, self.body, self.later.admit) if db.batch is not None else None

    @property
    def pg(self) -> PgDocuments:
        """The documents on PostgreSQL (leads/pgdocuments.py); TypeError on another store."""
        if self._pg is None:
            raise TypeError("PostgreSQL's documents on another store")
        return self._pg

    @property
    def pg_pages(self) -> bool:
        """Whether list pages are read by ``PgDocuments.page`` (PostgreSQL)."""
        return self._pg is not None

    def body(self, docs: Sequence[bytes]) -> bytes:
        """A JSON array of documents with this server's links."""
        return b"".join((b"[", b",".join(docs), b"]")).replace(BASE_MARK, self._base)

    def read_by_guid(self, portal_id: int, guid: str) -> bytes | None:
        """``[lead]`` for a guid, deleted or not: its stored document, or else read from
        its rows now and rendered (its document stored shortly after); None if there is
        no such lead. TooLong if its rows take more than INLINE_STEPS to read."""
        if not self.enabled:
            return None
        key = guid.strip().lower()
        body = self._stored(leaddocs.BY_GUID, portal_id, key)
        if body is not None:
            return body
        with self._read_now() as fast:
            view = rawload.get(fast, portal_id, key)
        return self.body([self._missed(view)]) if view is not None else None

    def read_live_by_guid(self, portal_id: int, guid: str) -> bytes | None:
        """``[lead]`` for a guid of a lead not deleted, from its stored document: what a
        v1 list of that one guid answers (``_read_guids_page``); None if there is no such
        document (the list's own read then decides)."""
        if not self.enabled:
            return None
        return self._stored(leaddocs.LIVE_BY_GUID, portal_id, guid.strip().lower())

    def read_by_email(self, portal_id: int, email: str) -> bytes | None:
        """``[lead]`` for an email: the lead the lookup rules choose among its person's
        (live first, then the first converted), stored, or read and rendered now as
        ``read_by_guid``; None if there is no such person or lead. TooLong as
        ``read_by_guid``."""
        if not self.enabled:
            return None
        email = service.normalize_email(email)
        body = self._stored(leaddocs.BY_DOC_EMAIL, portal_id, email)
        if body is not None:
            return body
        # An indexed lookup and the sort of one person's leads.
        return self._found(portal_id, leaddocs.by_email_sql(F.FIRST_CONVERTED_PROP), email)

    def read_by_event(self, portal_id: int, guid: str) -> bytes | None:
        """``[lead]`` for a conversion event's guid: its lead's stored document, or its
        rows read and rendered now as ``read_by_guid``; None if there is no such event.
        TooLong as ``read_by_guid``."""
        if not self.enabled:
            return None
        return self._found(portal_id, leaddocs.BY_EVENT, guid.strip().lower())

    def _stored(self, sql: str, portal_id: int, key: str) -> bytes | None:
        """``[lead]`` from the one stored document ``sql`` finds by portal and ``key``, or
        None if it finds none or several. On the event loop the answer is kept until the
        next commit to the store (store/kept.py ``KeptAnswers``): a lead read moments
        ago is answered without a lookup."""
        def read() -> bytes | None:
            rows = self.db.fast_rows(sql, (portal_id, key))
            return self.body([rows[0][0]]) if len(rows) == 1 else None

        return self.db.kept_or_read((sql, portal_id, key), read)

    def _found(self, portal_id: int, sql: str, key: str) -> bytes | None:
        """``[lead]`` for the lead a statement finds by portal and ``key`` (rows of its id
        and its stored document, the first one chosen): its document, or its rows read
        and rendered now, in one snapshot; None if it finds none. TooLong as
        ``read_by_guid``."""
        with self.db.fast_read() as fast:
            rows = fast(sql, (portal_id, key))
            if not rows:
                return None
            lead_id, doc = rows[0]
            if doc is not None:
                return self.body([doc])
            with self._rows_now():
                views = rawload.load(fast, portal_id, [lead_id])
        return self.body([self._missed(views[0])]) if views else None

    @contextmanager
    def _read_now(self) -> Iterator[leadrows.Rows]:
        """One read transaction on this thread's point-read connection for a lead's rows,
        as ``_rows_now`` says."""
        with self.db.fast_read() as fast, self._rows_now():
            yield fast

    @contextmanager
    def _rows_now(self) -> Iterator[None]:
        """Reads of a lead's rows on the point-read connection (in the caller's read
        transaction), stopped with TooLong past INLINE_STEPS SQLite steps (a lead with very
        many events), or not started (TooLong) while such reads wait for the disk
        (leads/coldreads.py) or off the event loop (a point read sent to a worker thread by
        ``ColdReads``: the ordinary way reads it, and schedules its document's storing
        from the loop)."""
        # On the loop first: a worker thread leaves the loop's sampling state alone.
        if not _on_loop() or not self.cold.inline():
            raise TooLong("reads of leads without a document wait for the disk")
        with self.cold.sampled(), \
                self.db.fast_budget(INLINE_STEPS, statements=rawload.STATEMENTS):
            yield

    async def by_guid(self, portal_id: int, guid: str) -> bytes:
        """``[lead]`` for a guid, deleted or not; NotFound otherwise."""
        try:
            body = self.read_by_guid(portal_id, guid)
        except TooLong:
            body = None
        if body is not None:
            return body
        if self._pg is not None:  # PostgreSQL: as its lane reads it
            body = await self._pg.by_guid(portal_id, guid)
            if body is None:
                raise service.no_lead(guid)
            return body
        view = await self.db.aread_many(_get, portal_id, guid)
        return self.body([self._missed(view)])

    async def find(self, portal_id: int, **criteria: str | None) -> bytes:
        """``[lead]`` for an email, conversion event guid or user token; NotFound otherwise."""
        email, event = criteria.get("email"), criteria.get("conversion_event_guid")
        if event or email:
            try:
                body = (
                    self.read_by_event(portal_id, event) if event
                    else self.read_by_email(portal_id, email or "")
                )
            except TooLong:
                body = None
            if body is not None:
                return body
        if self._pg is not None and email and not event and not criteria.get("user_token"):
            # PostgreSQL, by email alone: as its lane reads it.
            body = await self._pg.by_email(portal_id, service.normalize_email(email))
            if body is None:
                raise service.no_match(email=email)
            return body
        view = await self.db.aread_many(service.find, portal_id, loader=rawload.loader, **criteria)
        return self.body([self._missed(view)])

    def stored_page(self, query: LeadListQuery) -> Page:
        """A list page: its JSON array, and the views of its leads that had no stored
        document (read from their rows and rendered; ``stored`` schedules storing them).

        The list's SQL text is compiled once per shape; the page's ids, documents
        and missing leads are read in one read transaction on this thread's fast
        connection, stopped with TooLong past about INLINE_STEPS SQLite steps.
        """
        # The search plan's probe, the page's ids, their documents, missing leads.
        with self.db.fast_read() as fast, \
                self.db.fast_budget(INLINE_STEPS, statements=3 + rawload.STATEMENTS):
            return self._read_page(query, fast, inline=True)

    def stored_guids_page(self, query: LeadListQuery, guids: list[str]) -> Page:
        """``stored_page`` for a list restricted to ``guids`` (v1 ``guids[0]=...``, how the
        legacy clients get a lead), matched as ``service.guids_to_ids`` matches them
        (trimmed, lower case; a guid of no lead matches nothing). TooLong as
        ``stored_page``."""
        with self.db.fast_read() as fast, \
                self.db.fast_budget(INLINE_STEPS, statements=4 + rawload.STATEMENTS):
            return self._read_guids_page(query, guids, fast, inline=True)

    async def stored_guids(self, query: LeadListQuery, guids: list[str]) -> bytes:
        """``stored_guids_page``: on the event loop for a short page, else in a worker
        thread, as ``stored``."""
        try:
            page = self.stored_guids_page(query, guids)
        except TooLong:
            page = await self.db.aread_many(_stored_guids_page, self, query, guids)
        return self._kept(page)

    def _read_guids_page(
        self, query: LeadListQuery, guids: list[str],
        rows: Callable[[str, Any], Sequence[Any]], *, inline: bool = False,
    ) -> Page:
        keys = _guid_keys(guids)
        if len(keys) == 1 and _keeps_every_lead(query):
            # One lead, whatever the sort: its stored document, if the list keeps it.
            found = rows(
                leaddocs.BY_GUID if query.include_deleted else leaddocs.LIVE_BY_GUID,
                (query.portal_id, keys[0]),
            )
            if found:
                return self.body([found[0][0]]), []
        query.lead_ids = [r[0] for r in rows(
            leadrows.find_unique_many(len(keys)), (query.portal_id, LEADS, F.GUID_PROP, *keys)
        )]
        try:
            return self._read_page(query, rows, inline=inline)
        finally:
            query.lead_ids = None

    async def stored(self, query: LeadListQuery) -> bytes:
        """``stored_page``: on the event loop for a short page, in a worker thread past
        INLINE_STEPS (a page that walks or sorts many rows, or whose leads without a
        document take long to read)."""
        try:
            page = self.stored_page(query)
        except TooLong:
            page = await self.db.aread_many(_stored_page, self, query)
        return self._kept(page)

    def _kept(self, page: Page) -> bytes:
        """A page's body, its leads read without a document scheduled to be stored."""
        body, missed = page
        for view in missed:
            self.later.schedule(view)
        return body

    def _read_page(
        self, query: LeadListQuery, rows: Callable[[str, Any], Sequence[Any]], *,
        inline: bool = False,
    ) -> Page:
        """The page read with ``rows`` (``inline``: on the event loop, where reads of
        leads without a document wait in a worker thread while they wait for the disk,
        as ``ColdReads`` says)."""
        plan_search(query, rows)
        sql, params = sqlite_list_sql(query)
        ids = [r[0] for r in rows(sql, params)]
        docs = dict(rows(leaddocs.docs_sql(len(ids)), (query.portal_id, *ids))) if ids else {}
        missed: list[LeadView] = []
        if len(docs) < len(ids):
            if inline and not self.cold.inline():
                raise TooLong("reads of leads without a document wait for the disk")
            # Read in the same snapshot as the page: a lead it holds is there to read.
            missed = rawload.load(rows, query.portal_id, [i for i in ids if i not in docs])
            for view in missed:
                docs[view.lead.id] = to_document(view)
        return self.body([docs[i] for i in ids if i in docs]), missed

    async def page(
        self, query: LeadListQuery, *, with_events: bool, guids: list[str] | None
    ) -> bytes:
        """One page of a v1 list as a JSON array."""
        if self.enabled and with_events:
            return await (self.stored_guids(query, guids) if guids else self.stored(query))
        if self._pg is not None and with_events:
            if not guids:
                return await self._pg.page(query)
            keys = _guid_keys(guids)
            if len(keys) == 1 and _keeps_every_lead(query):
                # A list of one guid (how hubspot3 and hapipy get a lead): that lead, if
                # the list keeps it (deleted or not), as the lane reads it.
                body = await self._pg.by_guid(
                    query.portal_id, keys[0], live=not query.include_deleted)
                return body if body is not None else self.body([])
        views = await self.db.aread_many(
            service.list_leads, query, with_events=with_events, guids=guids, loader=rawload.loader
        )
        return self.body([to_document(v) for v in views])

    def _missed(self, view: LeadView) -> bytes:
        if self.enabled:
            self.later.schedule(view)
        return to_document(view)

def _stored_page(conn: Connection, docs: LeadDocuments, query: LeadListQuery) -> Page:
    """``LeadDocuments.stored_page`` in a pooled read transaction (a worker thread's)."""
    return docs._read_page(query, lambda sql, args: conn.exec_driver_sql(sql, args).fetchall())


def _guid_keys(guids: list[str]) -> list[str]:
    """A list's guids as the store keeps them (trimmed, lower case), each once."""
    return list(dict.fromkeys(g.strip().lower() for g in guids))


def _keeps_every_lead(q: LeadListQuery) -> bool:
    """Whether a list keeps every lead it may hold (deleted ones aside): the first page,
    no search, no time window, no filter."""
    return (
        q.offset == 0 and q.limit >= 1 and not q.search and q.start is None
        and q.stop is None and not q.equals and not q.not_equals
    )


def _stored_guids_page(
    conn: Connection, docs: LeadDocuments, query: LeadListQuery, guids: list[str]
) -> Page:
    """``LeadDocuments.stored_guids_page`` in a pooled read transaction (a worker thread's)."""
    return docs._read_guids_page(
        query, guids, lambda sql, args: conn.exec_driver_sql(sql, args).fetchall()
    )


def _on_loop() -> bool:
    """Whether this thread runs the event loop (where a document's storing is scheduled)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _get(conn: Connection, portal_id: int, guid: str) -> LeadView:
    """``service.get``, by prebuilt SQL."""
    view = rawload.get(leadrows.driver_rows(conn), portal_id, guid)
    if view is None:
        raise service.no_lead(guid)
    return view


__all__ = ["LeadDocuments", "to_document"]

"""Imports and the form worker store the v1 documents of the leads they write.

A lead's first read is one lookup of its stored document when the
transaction that wrote it stored one: on SQLite every write transaction
does, for the leads it changed (leads/docwrites.py ``store_written``); on
PostgreSQL an import does, for the leads it creates (``pg_fill``).
Every stored document must be the one the ordinary read path renders from
the lead's rows after the commit; a failure to store them must leave the
transaction's writes as they are.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.ingest.process import Policy, process_claimed
from leadhub.leads import documents, docwrites, service
from leadhub.leads.importer import SOURCE_TYPE, import_batch
from leadhub.store import Database, leaddocs
from leadhub.store import queue as queue_store
from leadhub.store.objects import Change
from leadhub.store.schema import lead_documents, objects
from tests.ingest import test_fresh_batch as batches

NOW = 1_760_000_000_000


def _documents(db: Database, portal_id: int) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """The portal's stored documents (not the empty rows PostgreSQL's triggers leave),
    and each lead's document rendered by ``service.load``."""

    def read(conn):  # type: ignore[no-untyped-def]
        stored = {
            r.lead_id: bytes(r.doc)
            for r in conn.execute(
                sa.select(lead_documents.c.lead_id, lead_documents.c.doc).where(
                    lead_documents.c.portal_id == portal_id, lead_documents.c.doc.is_not(None)
                )
            )
        }
        ids = list(conn.execute(
            sa.select(objects.c.id).where(
                objects.c.portal_id == portal_id, objects.c.object_type == ct.LEADS
            )
        ).scalars())
        rendered = {v.lead.id: documents.to_document(v) for v in service.load(conn, portal_id, ids)}
        return stored, rendered

    return db.read_call(read)  # type: ignore[no-any-return]


def _portal(db: Database) -> int:
    return db.write_call(lambda conn: portals.create_portal(conn, "Written").id)  # type: ignore[no-any-return]


def _import(db: Database, portal_id: int, rows: list[dict[str, str]]) -> Any:
    change = Change(NOW, SOURCE_TYPE, "test")
    return db.write_call(import_batch, portal_id, list(enumerate(rows, start=2)), change)


def _row(first: str, last: str, email: str, **more: str) -> dict[str, str]:
    return {"firstName": first, "lastName": last, "email": email, **more}


def _assert_current(db: Database, portal_id: int, leads: int, *, pg_without: int = 0) -> None:
    """Every lead's stored document is the one rendered now; on SQLite every lead has
    one, on PostgreSQL all but ``pg_without`` (leads a write changed after an import
    stored them: the triggers emptied them, and a read stores them again)."""
    stored, rendered = _documents(db, portal_id)
    assert len(rendered) == leads
    if db.engine.dialect.name != "sqlite":
        assert len(stored) == leads - pg_without
    else:
        assert stored.keys() == rendered.keys()
    for lead_id, doc in stored.items():
        assert doc == rendered[lead_id], lead_id


def test_import_stores_the_documents_of_every_lead_it_writes(db: Database) -> None:
    portal_id = _portal(db)
    result = _import(db, portal_id, [
        _row("Ada", "Lovelace", "ada@example.com", company="Engines", rawScore="140"),
        _row("Alan", "Turing", "alan@example.com", closedAt="2023-11-20T10:00:00Z"),
        _row("Grace", "Hopper", "grace@example.com"),
        # The same person again in the file: one lead, the later values on top.
        _row("Grace", "Hopper", "GRACE@example.com", company="Navy"),
        _row("Nobody", "Atall", ""),
    ])
    assert (result.created, result.updated, result.rejected) == (4, 1, [])
    _assert_current(db, portal_id, 4)
    # A second file changes people already stored, one by one, and adds one.
    result = _import(db, portal_id, [
        _row("Ada", "King", "ada@example.com", company="Analytical"),
        _row("Grace", "Hopper", "grace@example.com", rawScore="20"),
        _row("Kay", "Jones", "kay@example.com"),
    ])
    assert (result.created, result.updated) == (1, 2)
    _assert_current(db, portal_id, 5, pg_without=2)


def test_import_of_a_person_whose_lead_is_gone_stores_the_new_lead(db: Database) -> None:
    portal_id = _portal(db)
    _import(db, portal_id, [_row("Ann", "Old", "ann@example.com")])

    def drop_lead(conn):  # type: ignore[no-untyped-def]
        lead_id = service.find_lead_id(conn, portal_id, email="ann@example.com")
        conn.execute(sa.delete(lead_documents).where(lead_documents.c.lead_id == lead_id))
        conn.execute(sa.update(objects).where(objects.c.id == lead_id).values(archived=True))

    db.write_call(drop_lead)
    if db.engine.dialect.name == "sqlite":
        # The archive stored the old lead's document again, deleted.
        (old_doc,) = _documents(db, portal_id)[0].values()
        assert b'"isDeleted":true' in old_doc
    _import(db, portal_id, [_row("Ann", "New", "ann@example.com")])
    stored, rendered = _documents(db, portal_id)
    assert len(rendered) == 2
    if db.engine.dialect.name == "sqlite":
        assert stored == rendered
        # The person's new lead, live, beside the archived one; both name them anew.
        assert sorted(b'"isDeleted":true' in doc for doc in stored.values()) == [False, True]
        assert all(b'"lastName":"New"' in doc for doc in stored.values())


def test_a_failure_to_store_documents_leaves_the_import(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_put, real_render = leaddocs.put_many, docwrites.to_document
    calls = []

    def broken(conn, portal_id, docs):  # type: ignore[no-untyped-def]
        real_put(conn, portal_id, docs)  # written, then undone with the savepoint
        calls.append(portal_id)
        if len(calls) == 2:
            raise RuntimeError("storing failed")

    def broken_render(view):  # type: ignore[no-untyped-def]
        # PostgreSQL: the first batch of two is stored, then undone with the savepoint.
        calls.append(view.lead.id)
        if len(calls) == 3:
            raise RuntimeError("rendering failed")
        return real_render(view)

    monkeypatch.setattr(docwrites, "FILL_BATCH", 2)
    if db.engine.dialect.name == "sqlite":
        monkeypatch.setattr(leaddocs, "put_many", broken)
    else:
        monkeypatch.setattr(docwrites, "to_document", broken_render)
    portal_id = _portal(db)
    result = _import(db, portal_id, [_row("Ada", "Lovelace", "ada@example.com"),
                                     _row("Alan", "Turing", "alan@example.com"),
                                     _row("Grace", "Hopper", "grace@example.com")])
    assert result.created == 3
    assert len(calls) == (2 if db.engine.dialect.name == "sqlite" else 3)
    monkeypatch.undo()
    stored, rendered = _documents(db, portal_id)
    assert len(rendered) == 3 and stored == {}
    # The transaction goes on after the failure: the next batch stores its documents.
    _import(db, portal_id, [_row("Kay", "Jones", "kay@example.com")])
    stored, rendered = _documents(db, portal_id)
    assert list(stored) == [max(rendered)]


def test_the_worker_stores_the_documents_of_every_lead_it_writes(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches.process_mod, "now_ms", lambda: batches.NOW)
    portal_id, form = batches._portal(db, "Worker documents")
    for batch in batches.BATCHES:
        batches._enqueue(db, portal_id, form, batch)
        ids = db.write_call(queue_store.claim_submissions, batches.WORKER, NOW, 60_000, 100, 5)
        assert len(ids) == len(batch)
        db.write_call(process_claimed, ids, batches.WORKER, Policy())
        # Each batch's leads, new ones written together and known ones one by one.
        stored, rendered = _documents(db, portal_id)
        # On PostgreSQL the worker stores none: reads do.
        _assert_current(db, portal_id, len(rendered), pg_without=len(rendered))
    assert len(rendered) > 20


def test_the_triggers_that_name_changed_leads_are_made_again_when_gone(
    db: Database, tmp_path: Any
) -> None:
    """A connection records the leads its writes change once the store's tables exist,
    and again after a migration that rebuilt a table dropped its triggers."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the triggers are SQLite's")
    empty = sqlite3.connect(tmp_path / "empty.db", isolation_level=None)
    assert leaddocs.track_stale(empty) is False
    empty.close()
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert leaddocs.track_stale(raw) is True
        names = [r[0] for r in raw.execute(
            "SELECT name FROM temp.sqlite_master WHERE type = 'trigger'")]
        assert len(names) > 10
        raw.execute(f"DROP TRIGGER temp.{names[0]}")
        assert leaddocs.track_stale(raw) is True
        again = [r[0] for r in raw.execute(
            "SELECT name FROM temp.sqlite_master WHERE type = 'trigger'")]
        assert sorted(again) == sorted(names)
        assert leaddocs.take_stale(raw) == {}

"""New people of a batch written all at once (ingest/fresh.py) leave the store as one by one would.

The same submissions are processed twice, into two portals of one store:
once with every submission going through ``process`` on its own, once with
the new people of each batch written together. Everything the worker writes
(contacts, leads, unique values, associations, property history, conversion
events, callbacks, the submissions' own rows) is then compared, with the
random parts (lead guids, public tokens, ids) replaced by what they stand for.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from leadhub import portals
from leadhub.ingest import fresh, service
from leadhub.ingest import process as process_mod
from leadhub.ingest.process import Policy, process_claimed
from leadhub.leads import service as lead_service
from leadhub.store import Database
from leadhub.store import events as event_store
from leadhub.store import queue as queue_store
from leadhub.store.objects import Change
from leadhub.store.schema import (
    associations,
    callbacks,
    conversion_events,
    objects,
    property_history,
    submissions,
    unique_values,
)
from leadhub.util import new_guid

NOW = 1_760_000_000_000
WORKER = "test-worker"


def _post(n: int, **extra: str) -> dict[str, str]:
    base = {
        "FirstName": "Ada", "LastName": f"New{n}", "Email": f"ada{n}@fresh.example.com",
        "Company": "Acme", "IPAddress": "203.0.113.7", "UserToken": f"tok-{n}",
        "pageUrl": "https://www.example.com/demo", "pageName": "Demo",
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v}


# Each inner list is one batch, claimed and processed together.
BATCHES: list[list[dict[str, str]]] = [
    [
        _post(1), _post(2), _post(3, UserToken=""), _post(4, Phone="+1-555-0100"),
        # The same person twice in one batch: both one by one, in order.
        _post(5), _post(5, Message="again", UserToken="tok-5b"),
        # One user token, two emails: one by one.
        _post(6, UserToken="shared"), _post(7, UserToken="shared"),
        # A close date: one by one (the lead is closed as a customer).
        _post(8, CloseDate="03/01/2025"),
        # No email: an anonymous visitor, one by one.
        _post(9, Email=""),
        # Upper-case email: new, normalized.
        _post(10, Email="Ada10@FRESH.example.com"),
    ],
    [
        # Known by email since the first batch: one by one, same lead.
        _post(1, Message="back"), _post(2, City="Boston"),
        # The anonymous visitor of batch one identifies themself: adopted, one by one.
        _post(90, UserToken="tok-9"),
        # New people beside known ones.
        _post(11), _post(12), _post(13, Country="France"),
        # A number the store cannot hold as one: fails in ``process``, its error recorded.
        _post(14, NumberEmployees="12x"),
    ],
    [_post(n) for n in range(20, 30)],
]


def _enqueue(db: Database, portal_id: int, form: Any, batch: list[dict[str, str]]) -> None:
    rows = [
        {
            "guid": new_guid(), "portal_id": portal_id, "form_id": form.id,
            "form_name": form.name, "form_guid": form.guid,
            "fields": list(post.items()), "received_at": NOW - 1000 + i,
        }
        for i, post in enumerate(batch)
    ]
    db.write_call(queue_store.enqueue, rows)


def _drain(db: Database, portal_id: int, form: Any) -> None:
    for batch in BATCHES:
        _enqueue(db, portal_id, form, batch)
        ids = db.write_call(queue_store.claim_submissions, WORKER, NOW, 60_000, 100, 5)
        assert len(ids) == len(batch)
        db.write_call(process_claimed, ids, WORKER, Policy())


def _portal(db: Database, name: str) -> tuple[int, Any]:
    def make(conn):  # type: ignore[no-untyped-def]
        portal = portals.create_portal(conn, name)
        form = service.create_form(conn, portal.id, "signup")
        service.register_callback_url(conn, portal.id, "http://127.0.0.1:9/hook")
        return portal.id, form

    return db.write_call(make)  # type: ignore[no-any-return]


def _snapshot(db: Database, portal_id: int, form_guid: str) -> dict[str, Any]:
    """What the worker wrote in a portal, with ids, guids and tokens replaced by names."""

    def read(conn):  # type: ignore[no-untyped-def]
        objs = conn.execute(sa.select(objects).where(objects.c.portal_id == portal_id)).all()
        links = conn.execute(
            sa.select(associations).where(associations.c.portal_id == portal_id)
        ).all()
        contact_name = {
            o.id: o.props.get("email") or o.props.get("leadhub_user_token")
            for o in objs if o.object_type == "0-1"
        }
        lead_contact = {a.from_id: a.to_id for a in links if a.from_type == "0-136"}
        name = {o.id: f"contact {contact_name[o.id]}" for o in objs if o.object_type == "0-1"}
        name.update({o.id: f"lead of {contact_name[lead_contact[o.id]]}"
                     for o in objs if o.object_type == "0-136"})
        guid = {o.props["leadhub_guid"]: f"guid of {name[o.id]}"
                for o in objs if o.object_type == "0-136"}
        random_props = {"leadhub_guid", lead_service.PUBLIC_TOKEN_PROP}

        def props(p: dict[str, str]) -> list[tuple[str, str]]:
            return [(k, "<random>" if k in random_props else v) for k, v in p.items()]

        def value(prop: str, v: str | None) -> str | None:
            return "<random>" if prop in random_props else v

        history = conn.execute(
            sa.select(property_history).where(property_history.c.portal_id == portal_id)
        ).all()
        uniques = conn.execute(
            sa.select(unique_values).where(unique_values.c.portal_id == portal_id)
        ).all()
        events = conn.execute(
            sa.select(conversion_events).where(conversion_events.c.portal_id == portal_id)
        ).all()
        subs = conn.execute(
            sa.select(submissions).where(submissions.c.portal_id == portal_id)
        ).all()
        sub_of = {s.guid: s for s in subs}
        hooks = conn.execute(sa.select(callbacks).where(callbacks.c.portal_id == portal_id)).all()
        return {
            "objects": sorted(
                (name[o.id], props(o.props), o.created_at, o.updated_at, bool(o.archived))
                for o in objs
            ),
            "unique values": sorted(
                (u.object_type, u.property,
                 guid[u.value] if u.property == "leadhub_guid" else u.value, name[u.object_id])
                for u in uniques
            ),
            "associations": sorted(
                (name[a.from_id], a.type_id, name[a.to_id], a.category, a.created_at)
                for a in links
            ),
            "history": Counter(
                (name[h.object_id], h.property, value(h.property, h.value), h.timestamp,
                 h.source_type, "<form>" if h.source_id == form_guid else h.source_id)
                for h in history
            ),
            "events": sorted(
                (sub_of[e.guid].received_at, name[e.lead_id], e.convert_date, e.form_name,
                 e.page_name, e.page_type, e.page_url,
                 orjson.dumps([{**f, "id": f["id"] - sub_of[e.guid].id * 1000}
                               for f in e.fields]).decode())
                for e in events
            ),
            "submissions": sorted(
                (s.received_at, s.status, s.attempts,
                 name[s.lead_id] if s.lead_id is not None else None, s.last_error)
                for s in subs
            ),
            "callbacks": sorted((name[c.lead_id], c.url, c.status) for c in hooks),
        }

    return db.read_call(read)  # type: ignore[no-any-return]


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_mod, "now_ms", lambda: NOW)


def test_new_people_at_once_write_what_one_by_one_writes(
    db: Database, fixed_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[int] = []
    real_create = fresh.create

    def counting_create(conn, people, now):  # type: ignore[no-untyped-def]
        taken.append(len(people))
        return real_create(conn, people, now)

    monkeypatch.setattr(fresh, "create", counting_create)
    one_id, one_form = _portal(db, "one by one")
    monkeypatch.setattr(process_mod, "BATCH_NEW_PEOPLE", False)
    _drain(db, one_id, one_form)
    assert taken == []

    many_id, many_form = _portal(db, "at once")
    monkeypatch.setattr(process_mod, "BATCH_NEW_PEOPLE", True)
    _drain(db, many_id, many_form)
    # Batch one: 1, 2, 3, 4, 10; batch two: 11, 12, 13; batch three: all ten.
    assert taken == [5, 3, 10]

    one = _snapshot(db, one_id, one_form.guid)
    many = _snapshot(db, many_id, many_form.guid)
    for part in one:
        assert many[part] == one[part], part
    statuses = Counter(s[1] for s in one["submissions"])
    assert statuses == {"done": 27, "pending": 1}  # the bad number waits for its retry
    assert len(one["callbacks"]) == 23


def test_a_clash_found_while_writing_sends_the_batch_one_by_one(
    db: Database, fixed_now: None
) -> None:
    portal_id, form = _portal(db, "clash")
    _enqueue(db, portal_id, form, [_post(40), _post(41)])
    ids = db.write_call(queue_store.claim_submissions, WORKER, NOW, 60_000, 100, 5)

    def clash(conn):  # type: ignore[no-untyped-def]
        people = fresh.select(conn, queue_store.lock_submissions(conn, ids))
        assert [p.email for p in people] == ["ada40@fresh.example.com", "ada41@fresh.example.com"]
        # Another writer creates the second person between the look and the write.
        rival = lead_service.create(
            conn, portal_id, {"email": "ada41@fresh.example.com"}, Change(NOW, "API")
        )
        written = fresh.create(conn, people, NOW)
        left = conn.execute(
            sa.select(sa.func.count()).select_from(objects).where(objects.c.portal_id == portal_id)
        ).scalar_one()
        return written, left, rival.contact.id

    written, left, rival = db.write_call(clash)
    assert written == {}
    assert left == 2  # only the rival's contact and lead: nothing of the batch was kept
    db.write_call(process_claimed, ids, WORKER, Policy())
    snap = _snapshot(db, portal_id, form.guid)
    assert [s[1] for s in snap["submissions"]] == ["done", "done"]
    # The second post found the rival's contact and lead, as one by one would.
    assert ("lead of ada41@fresh.example.com", 578, "contact ada41@fresh.example.com",
            "HUBSPOT_DEFINED", NOW) in snap["associations"]
    assert sum(1 for o in snap["objects"] if o[0].startswith("lead of")) == 2
    assert rival


def test_stored_events_are_looked_up_by_guid(db: Database) -> None:
    """The look for a batch's stored events reads those events, not every event of the portal
    (SQLite's plan; PostgreSQL plans by its statistics)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a plan without statistics is SQLite's")
    query = event_store.STORED_GUIDS.params(portal_id=1, guids=[f"{n:032x}" for n in range(10)])

    def plan(conn):  # type: ignore[no-untyped-def]
        sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        return " ".join(r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))

    text = db.read_call(plan)
    assert "autoindex_conversion_events_1 (guid=?)" in text, text

"""A lookup by email answered the fast way chooses the lead the ordinary lookup chooses.

``GET /leads/v1/lead?email=`` of a person with several leads used to go the
ordinary way (about 1,000 requests/s on 100,000 leads). The point-read
connection now chooses among them in one statement
(``store/leaddocs.py`` ``by_email_sql``): live before deleted, then the
first converted, never converted last, then the oldest. These tests build
people with one to four leads, conversions at a few shared times (so that
ties happen), some leads deleted, and compare the fast answer with
``service.find`` for each, with the documents stored and without them.
"""

from __future__ import annotations

import random

import orjson
import pytest

from leadhub import portals
from leadhub.leads import documents, service
from leadhub.leads import fields as F
from leadhub.leads.documents import LeadDocuments
from leadhub.leads.docwrites import StoreLater
from leadhub.store import Database, leaddocs
from leadhub.store import objects as obj_store
from leadhub.store import uniquevalues as unique_store
from tests.factories import forget_documents, make_lead

TIMES = (1_600_000_100_000, 1_600_000_200_000, 1_600_000_300_000)


def _people(db: Database, portal_id: int) -> list[str]:
    rng = random.Random(7)
    emails = []
    for n in range(40):
        email = f"Rules{n}@Example.com"
        made = [
            make_lead(db, portal_id, email=email,
                      conversions=tuple(rng.sample(TIMES, rng.randint(0, 2))))
            for _ in range(rng.randint(1, 4))
        ]
        for lead in made:
            if rng.random() < 0.3:
                def archive(conn, lead_id=lead.lead_id):  # type: ignore[no-untyped-def]
                    row = obj_store.get(conn, portal_id, "0-136", lead_id)
                    obj_store.set_archived(conn, row, True, 1_700_000_000_000)
                db.write_call(archive)
        emails.append(email)
    return emails


def test_the_fast_lookup_by_email_chooses_as_the_ordinary_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not db.fast_path:
        pytest.skip("the fast way reads a SQLite file")
    # Leads read without a document are handed on to be stored by the event loop's task,
    # and read from their rows only there; there is no loop here.
    monkeypatch.setattr(StoreLater, "schedule", lambda self, view: None)
    monkeypatch.setattr(documents, "_on_loop", lambda: True)
    portal_id = db.write_call(lambda conn: portals.create_portal(conn, "email rules").id)
    emails = _people(db, portal_id)
    docs = LeadDocuments(db, "http://rules.test")
    # A read preempted by another process looks like one waiting for the disk, and such
    # reads are left to worker threads for a while: not what this test is about.
    monkeypatch.setattr(docs.cold, "inline", lambda: True)
    several = 0
    for stored in (True, False):
        if not stored:
            forget_documents(db, portal_id)
        for email in emails:
            for asked in (email, email.upper(), f" {email.lower()} "):
                body = docs.read_by_email(portal_id, asked)
                expected = db.read_call(service.find, portal_id, email=asked)
                assert body is not None, asked
                assert orjson.loads(body)[0]["guid"] == expected.guid, (asked, stored)
            leads = db.read_call(service.leads_of_contacts, portal_id, [
                db.read_call(unique_store.find_unique, portal_id, "0-1", "email", email.lower())])
            several += len(leads) > 1
    assert several > 20  # most people have several leads: the rules decided
    assert docs.read_by_email(portal_id, "nobody@example.com") is None


def test_the_lookup_by_email_reads_by_keys_only(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("a plan without statistics is SQLite's")
    sql = leaddocs.by_email_sql(F.FIRST_CONVERTED_PROP)
    with db.read() as conn:
        plan = [str(r[3]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, (1, "a@b"))]
    assert not [step for step in plan if step.startswith("SCAN")], plan
    assert any("SEARCH u " in s and "value=?" in s for s in plan), plan
    assert "SEARCH l USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan

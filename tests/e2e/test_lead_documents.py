"""Stored v1 lead documents: a second read stores one, and every write through any face is seen.

On SQLite a v1 GET is answered from a lead's stored document once one exists;
these tests fill the store's documents first, then change the lead in every
way the store allows and check the next read shows the change. On
PostgreSQL no documents are stored and the same reads must hold.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from leadhub import crm_types as ct
from leadhub.leads import documents, service
from leadhub.limits_cli import set_limits
from leadhub.store import events as event_store
from leadhub.store import leaddocs, objects
from leadhub.store.events import ConversionEvent
from leadhub.store.objects import Change
from leadhub.store.schema import associations, lead_documents
from tests.documents_check import assert_documents_current
from tests.factories import forget_documents, make_lead


def stored(db, lead_id: int) -> bytes | None:
    with db.read() as conn:
        doc = conn.execute(
            sa.select(lead_documents.c.doc).where(lead_documents.c.lead_id == lead_id)
        ).scalar_one_or_none()
    return bytes(doc) if doc is not None else None


def warm(db, portal, guid: str, lead_id: int) -> dict:
    """Read the lead until its document is stored (SQLite; its second read without one
    stores it); return the read lead."""
    with portal.client() as c:
        lead = c.get(f"/leads/v1/lead/{guid}").json()[0]
        assert c.get(f"/leads/v1/lead/{guid}").json()[0] == lead
    if db.is_sqlite:
        deadline = time.monotonic() + 10
        while stored(db, lead_id) is None:
            assert time.monotonic() < deadline, "the document was never stored"
            time.sleep(0.02)
    return lead


def get(portal, guid: str) -> dict:
    with portal.client() as c:
        r = c.get(f"/leads/v1/lead/{guid}")
    assert r.status_code == 200, r.text
    return r.json()[0]


def contact_id(db, lead_id: int) -> int:
    with db.read() as conn:
        return conn.execute(
            sa.select(associations.c.to_id).where(
                associations.c.from_id == lead_id,
                associations.c.type_id == ct.LEAD_TO_PRIMARY_CONTACT,
            )
        ).scalar_one()


def test_document_has_relative_links_and_the_response_absolute_ones(db, server, portal):
    made = make_lead(db, portal.id, firstName="Doc")
    first = warm(db, portal, made.guid, made.lead_id)
    again = get(portal, made.guid)
    assert again == first
    assert again["leadJsonLink"] == f"{server.url}/leads/v1/lead/{made.guid}"
    assert again["publicLeadLink"].startswith(f"{server.url}/leads/public/leadDetails?")
    if db.is_sqlite:
        doc = stored(db, made.lead_id)
        assert doc is not None and b'"leadJsonLink":"\x00/leads/v1/lead/' in doc
        assert doc.count(b"\x00") == 3
        assert server.url.encode() not in doc


def test_v1_put_is_seen_by_the_next_read(db, server, portal):
    made = make_lead(db, portal.id, company="Before")
    warm(db, portal, made.guid, made.lead_id)
    with portal.client() as c:
        r = c.put(f"/leads/v1/lead/{made.guid}", json={"guid": made.guid, "company": "After"})
    assert r.status_code == 200, r.text
    assert get(portal, made.guid)["company"] == "After"


def test_v1_put_stores_the_changed_document_with_the_change(db, server, portal):
    made = make_lead(db, portal.id, company="Before", email="put-doc@example.com")
    with portal.client() as c:
        r = c.put(f"/leads/v1/lead/{made.guid}", json={"guid": made.guid, "company": "After"})
    assert r.status_code == 200, r.text
    with db.read() as conn:
        rendered = documents.to_document(service.load(conn, portal.id, [made.lead_id])[0])
    if db.is_sqlite:
        # Stored by the PUT's own transaction, before any read.
        assert stored(db, made.lead_id) == rendered
        assert b'"company":"After"' in rendered
    else:
        assert stored(db, made.lead_id) is None
    assert get(portal, made.guid)["company"] == "After"


def test_v3_patch_of_the_contact_is_seen_by_v1_reads(db, server, portal):
    made = make_lead(db, portal.id, firstName="Old", email="doc-v3@example.com")
    warm(db, portal, made.guid, made.lead_id)
    cid = contact_id(db, made.lead_id)
    with portal.client() as c:
        r = c.patch(f"/crm/v3/objects/contacts/{cid}", json={"properties": {"firstname": "New"}})
        assert r.status_code == 200, r.text
        by_email = c.get("/leads/v1/lead", params={"email": "doc-v3@example.com"}).json()[0]
    assert get(portal, made.guid)["firstName"] == "New"
    assert by_email["firstName"] == "New"


def test_v3_archive_of_the_lead_is_seen(db, server, portal):
    made = make_lead(db, portal.id)
    warm(db, portal, made.guid, made.lead_id)
    with portal.client() as c:
        assert c.delete(f"/crm/v3/objects/leads/{made.lead_id}").status_code == 204
    assert get(portal, made.guid)["isDeleted"] is True


def test_conversion_events_and_logs_are_seen(db, server, portal):
    made = make_lead(db, portal.id)
    warm(db, portal, made.guid, made.lead_id)

    def convert(conn):  # type: ignore[no-untyped-def]
        lead = service.load(conn, portal.id, [made.lead_id])[0].lead
        event = ConversionEvent(
            guid="ab" * 16, lead_id=0, convert_date=1_700_000_000_000, form_guid="f" * 32,
            form_id=1, form_name="Docs form",
        )
        service.add_conversion_event(conn, lead, event, Change(1_700_000_000_000, "FORM"))

    db.write_call(convert)
    lead = get(portal, made.guid)
    assert [e["formName"] for e in lead["leadConversionEvents"]] == ["Docs form"]
    warm(db, portal, made.guid, made.lead_id)
    db.write_call(
        event_store.add_log, portal.id, made.lead_id, event_store.DELETE, 1_700_000_000_001, False
    )
    assert len(get(portal, made.guid)["leadDeleteLogs"]) == 1


def test_removing_the_primary_contact_is_seen(db, server, portal):
    made = make_lead(db, portal.id, firstName="Linked")
    warm(db, portal, made.guid, made.lead_id)
    cid = contact_id(db, made.lead_id)

    def unlink(conn):  # type: ignore[no-untyped-def]
        conn.execute(
            associations.delete().where(
                associations.c.portal_id == portal.id,
                associations.c.from_id.in_([made.lead_id, cid]),
            )
        )

    db.write_call(unlink)
    assert get(portal, made.guid)["firstName"] == ""


def test_list_pages_are_the_leads_a_get_returns(db, server, portal):
    made = [make_lead(db, portal.id, lastName=f"Listed{n}", inserted_at=1_600_000_000_000 + n)
            for n in range(3)]
    params = {"search": "listed", "sort": "insertedAt", "dir": "asc"}
    with portal.client() as c:
        cold = c.get("/leads/v1/list", params=params).json()
    for m in made:
        warm(db, portal, m.guid, m.lead_id)
    with portal.client() as c:
        hot = c.get("/leads/v1/list", params=params).json()
        quiet = c.get("/leads/v1/list", params={**params, "excludeConversionEvents": "true"})
    assert [x["guid"] for x in hot] == [m.guid for m in made]
    assert hot == cold == [get(portal, m.guid) for m in made]
    assert [x["guid"] for x in quiet.json()] == [m.guid for m in made]


def test_email_shared_by_two_leads_follows_the_lookup_rules(db, server, portal):
    late = make_lead(db, portal.id, email="twice@example.com", conversions=(1_700_000_000_000,))
    early = make_lead(db, portal.id, email="twice@example.com", conversions=(1_600_000_000_000,))
    for m in (late, early):
        warm(db, portal, m.guid, m.lead_id)
    with portal.client() as c:
        found = c.get("/leads/v1/lead", params={"email": "Twice@example.com"}).json()[0]
    assert found["guid"] == early.guid


@pytest.mark.parametrize("path", ["/leads/v1/lead/nope", "/leads/v1/lead?email=nobody@x.org"])
def test_unknown_leads_are_404_and_store_nothing(db, server, portal, path):
    with portal.client() as c:
        r = c.get(path)
    assert r.status_code == 404
    with db.read() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(lead_documents).where(
                lead_documents.c.portal_id == portal.id
            )
        ).scalar_one()
    assert count == 0


def test_stored_reads_take_every_credential_and_path_spelling(db, server, portal):
    made = make_lead(db, portal.id, email="spelling@example.com")
    expected = warm(db, portal, made.guid, made.lead_id)
    with server.client() as c:
        for path, params in (
            (f"/leads/v1/lead/{made.guid}", {"access_token": portal.token}),
            (f"/leads/v1/lead/{made.guid}/", {"hapikey": portal.token}),
            (f"/leads/v1/lead/{made.guid.upper()}", {"access_token": portal.token}),
            ("/leads/v1/lead", {"email": "SPELLING@example.com", "hapikey": portal.token}),
            ("/leads/v1/lead/", {"email": "spelling@example.com", "access_token": portal.token}),
        ):
            r = c.get(path, params=params)
            assert r.status_code == 200, (path, r.text)
            assert r.headers["content-type"].startswith("application/json")
            assert r.json() == [expected], path
        assert c.get(f"/leads/v1/lead/{made.guid}").status_code == 401
        bad = c.get(f"/leads/v1/lead/{made.guid}", params={"access_token": "nope"})
        assert bad.status_code == 401
    with portal.client() as c:
        both = c.get("/leads/v1/lead", params={"email": "x@example.com", "userToken": "t"})
    assert both.status_code == 404


def test_stored_documents_stay_inside_their_portal(db, server, portal, other_portal):
    made = make_lead(db, portal.id, email="mine@example.com")
    warm(db, portal, made.guid, made.lead_id)
    with other_portal.client() as c:
        assert c.get(f"/leads/v1/lead/{made.guid}").status_code == 404
        assert c.get("/leads/v1/lead", params={"email": "mine@example.com"}).status_code == 404


def tamper(db, lead_id: int, marker: str) -> None:
    """Put a marker into a stored document, to tell a stored answer from a rendered one."""

    def write(conn):  # type: ignore[no-untyped-def]
        doc = bytes(conn.execute(
            sa.select(lead_documents.c.doc).where(lead_documents.c.lead_id == lead_id)
        ).scalar_one())
        doc = doc.replace(b'"company":"', f'"company":"{marker}'.encode(), 1)
        conn.execute(
            lead_documents.update().where(lead_documents.c.lead_id == lead_id).values(doc=doc)
        )

    db.write_call(write)


def test_stored_reads_keep_the_nul_guard_and_the_rate_limits(db, server, portal):
    if not db.is_sqlite:
        pytest.skip("documents are stored on SQLite only")
    made = make_lead(db, portal.id, company="Acme", email="guarded@example.com")
    warm(db, portal, made.guid, made.lead_id)
    tamper(db, made.lead_id, "Stored ")
    # The stored document answers (the marker shows it), with no rate-limit headers.
    with portal.client() as c:
        r = c.get(f"/leads/v1/lead/{made.guid}")
        assert r.json()[0]["company"] == "Stored Acme"
        assert not [h for h in r.headers if h.startswith("x-hubspot-ratelimit")]
        # A NUL anywhere in the URL is the guard's 400, even in an ignored credential.
        nul = c.get(f"/leads/v1/lead/{made.guid}?access_token=%00")
        assert nul.status_code == 400 and "NUL" in nul.text
        assert c.get("/leads/v1/lead?email=guarded@example.com&hapikey=%00").status_code == 400
    # Once the portal has limits, every read of it is counted and carries the headers.
    db.write_call(set_limits, portal.id, None, 5)
    time.sleep(2.1)  # the server re-reads a portal's limits every two seconds
    with portal.client() as c:
        left = []
        for path in (f"/leads/v1/lead/{made.guid}", "/leads/v1/lead?email=guarded@example.com"):
            for _ in range(2):
                r = c.get(path)
                assert r.status_code == 200, r.text
                left.append(r.headers["x-hubspot-ratelimit-daily-remaining"])
        assert left == ["4", "3", "2", "1"]
        c.get(f"/leads/v1/lead/{made.guid}")
        assert c.get(f"/leads/v1/lead/{made.guid}").status_code == 429


def test_stored_list_pages_follow_every_change(db, server, portal):
    made = [make_lead(db, portal.id, lastName=f"Paged{n}", inserted_at=1_600_000_000_000 + n)
            for n in range(3)]
    params = {"search": "paged", "sort": "insertedAt", "dir": "asc"}
    for m in made:
        warm(db, portal, m.guid, m.lead_id)

    def page(**extra: str) -> list[dict]:
        with portal.client() as c:
            r = c.get("/leads/v1/list", params={**params, **extra})
        assert r.status_code == 200, r.text
        return r.json()

    assert page() == [get(portal, m.guid) for m in made]
    with portal.client() as c:
        r = c.put(f"/leads/v1/lead/{made[0].guid}", json={"guid": made[0].guid, "lastName": "X"})
        assert r.status_code == 200, r.text
        assert c.delete(f"/crm/v3/objects/leads/{made[1].lead_id}").status_code == 204
    for _ in range(2):  # read, then read again once the documents are stored again
        assert [x["guid"] for x in page()] == [made[2].guid]
        deleted = page(includeDeleted="true")
        assert [(x["guid"], x["isDeleted"]) for x in deleted] == [
            (made[1].guid, True), (made[2].guid, False)]
        assert page(max="1", offset="1", includeDeleted="true") == [get(portal, made[2].guid)]
        warm(db, portal, made[1].guid, made[1].lead_id)


def stored_email(db, lead_id: int) -> str | None:
    with db.read() as conn:
        return conn.execute(
            sa.select(lead_documents.c.email).where(lead_documents.c.lead_id == lead_id)
        ).scalar_one_or_none()


def test_a_lone_lead_is_found_by_email_from_its_document(db, server, portal):
    if not db.is_sqlite:
        pytest.skip("documents are stored on SQLite only")
    made = make_lead(db, portal.id, company="Acme", email="Alone@Example.com")
    warm(db, portal, made.guid, made.lead_id)
    assert stored_email(db, made.lead_id) == "alone@example.com"
    tamper(db, made.lead_id, "Stored ")
    with portal.client() as c:
        r = c.get("/leads/v1/lead", params={"email": " ALONE@example.com"})
    assert r.status_code == 200 and r.json()[0]["company"] == "Stored Acme"


def test_a_second_lead_of_the_person_is_seen_by_email(db, server, portal):
    late = make_lead(db, portal.id, email="second@example.com", conversions=(1_700_000_000_000,))
    warm(db, portal, late.guid, late.lead_id)
    if db.is_sqlite:
        assert stored_email(db, late.lead_id) == "second@example.com"
    early = make_lead(db, portal.id, email="second@example.com", conversions=(1_600_000_000_000,))
    if db.is_sqlite:
        assert stored_email(db, late.lead_id) is None  # no longer the person's one lead
    with portal.client() as c:
        found = c.get("/leads/v1/lead", params={"email": "second@example.com"}).json()[0]
    assert found["guid"] == early.guid
    warm(db, portal, late.guid, late.lead_id)
    if db.is_sqlite:
        assert stored_email(db, late.lead_id) is None  # stored again, still one of two


def test_a_changed_contact_email_is_seen_by_email(db, server, portal):
    made = make_lead(db, portal.id, email="before@example.com")
    warm(db, portal, made.guid, made.lead_id)
    cid = contact_id(db, made.lead_id)
    with portal.client() as c:
        r = c.patch(f"/crm/v3/objects/contacts/{cid}",
                    json={"properties": {"email": "after@example.com"}})
        assert r.status_code == 200, r.text
        assert c.get("/leads/v1/lead", params={"email": "before@example.com"}).status_code == 404
        found = c.get("/leads/v1/lead", params={"email": "after@example.com"})
    assert found.status_code == 200 and found.json()[0]["guid"] == made.guid
    warm(db, portal, made.guid, made.lead_id)
    if db.is_sqlite:
        assert stored_email(db, made.lead_id) == "after@example.com"


def test_a_v3_lead_for_a_known_person_is_seen_by_email(db, server, portal):
    """A lead attached to an existing contact leaves the contact's row as it was: the
    person's first lead must still stop being the one the email finds alone."""
    first = make_lead(db, portal.id, email="known@example.com", conversions=(1_700_000_000_000,))
    warm(db, portal, first.guid, first.lead_id)
    cid = contact_id(db, first.lead_id)
    with portal.client() as c:
        r = c.post("/crm/v3/objects/leads", json={
            "properties": {"hs_lead_name": "Second try"},
            "associations": [{"to": {"id": str(cid)}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
        })
        assert r.status_code == 201, r.text
        second = int(r.json()["id"])
        if db.is_sqlite:
            assert stored_email(db, first.lead_id) is None
        expected = c.get("/leads/v1/lead", params={"email": "known@example.com"})
    # What the ordinary lookup answers for a person with two leads, documents or not.
    with db.read() as conn:
        view = service.find(conn, portal.id, email="known@example.com")
    assert expected.status_code == 200
    assert expected.json()[0]["guid"] == view.guid
    assert {view.lead.id} <= {first.lead_id, second}


def test_a_lead_read_once_stores_nothing_and_read_again_stores_its_document(db, server, portal):
    if not db.is_sqlite:
        pytest.skip("documents are stored on SQLite only")
    made = make_lead(db, portal.id, firstName="Twice")
    forget_documents(db, portal.id)
    first = get(portal, made.guid)
    time.sleep(0.3)  # a store would have been written 10 ms after the read
    assert stored(db, made.lead_id) is None
    assert warm(db, portal, made.guid, made.lead_id) == first
    assert stored(db, made.lead_id) is not None



def test_every_write_stores_the_documents_it_changes(db, server, portal):
    """Writes through every face leave every lead they touch with its current document,
    stored by their own transaction, before any read."""
    first = make_lead(db, portal.id, firstName="Ada", email="ada@example.com",
                      conversions=(1_700_000_000_000,))
    other = make_lead(db, portal.id, firstName="Alan", email="alan@example.com")
    assert_documents_current(db, portal.id)
    cid = contact_id(db, first.lead_id)
    with portal.client() as c:
        def ok(r):  # type: ignore[no-untyped-def]
            assert r.status_code < 300, r.text
            return r

        # The lead's own properties (its lastModifiedAt changes).
        ok(c.patch(f"/crm/v3/objects/leads/{first.lead_id}",
                   json={"properties": {"hs_lead_name": "Renamed"}}))
        assert_documents_current(db, portal.id)
        # The contact: every lead of it.
        ok(c.patch(f"/crm/v3/objects/contacts/{cid}",
                   json={"properties": {"firstname": "Augusta"}}))
        assert_documents_current(db, portal.id)
        ok(c.post("/crm/v3/objects/contacts/batch/update", json={"inputs": [
            {"id": str(cid), "properties": {"lastname": "King"}}]}))
        assert_documents_current(db, portal.id)
        # A second lead of the person: both documents, the first without its lone email.
        second = int(ok(c.post("/crm/v3/objects/leads", json={
            "properties": {"hs_lead_name": "Second"},
            "associations": [{"to": {"id": str(cid)}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
        })).json()["id"])
        assert_documents_current(db, portal.id)
        if db.is_sqlite:
            assert b'"firstName":"Augusta"' in (stored(db, second) or b"")
        # The second lead's primary association removed: that lead is archived, and the
        # first is again the person's one lead (its document gains the email).
        ok(c.delete(f"/crm/v3/objects/leads/{second}/associations/contacts/{cid}/578"))
        assert_documents_current(db, portal.id)
        # v1: an update and a customer close.
        target = f"/leads/v1/lead/{other.guid}"
        ok(c.put(target, json={"guid": other.guid, "company": "Bletchley"}))
        ok(c.put(target, json={"guid": other.guid, "closedAt": "1323293954000"}))
        assert_documents_current(db, portal.id)
        # Archived through v3: the document says so.
        ok(c.delete(f"/crm/v3/objects/leads/{other.lead_id}"))
        assert_documents_current(db, portal.id)
    if db.is_sqlite:
        assert b'"isDeleted":true' in stored(db, second)
        assert stored_email(db, first.lead_id) == "ada@example.com"
        assert b'"company":"Bletchley"' in stored(db, other.lead_id)
        assert b'"isDeleted":true' in stored(db, other.lead_id)


def test_a_contact_with_very_many_leads_stores_some_of_their_documents(db, server, portal):
    """A change of a contact stores again the documents of at most CONTACT_FANOUT of its
    leads; the others lose theirs and are read from their rows, current."""
    made = make_lead(db, portal.id, email="many@example.com")
    cid = contact_id(db, made.lead_id)
    count = leaddocs.CONTACT_FANOUT + 5
    with portal.client() as c:
        for start in range(0, count, 100):
            r = c.post("/crm/v3/objects/leads/batch/create", json={"inputs": [
                {"properties": {"hs_lead_name": f"Lead {n}"}, "associations": [
                    {"to": {"id": str(cid)}, "types": [
                        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]}
                for n in range(start, min(start + 100, count))]})
            assert r.status_code == 201, r.text
    assert_documents_current(db, portal.id)
    with portal.client() as c:
        r = c.patch(f"/crm/v3/objects/contacts/{cid}", json={"properties": {"firstname": "Many"}})
        assert r.status_code == 200, r.text
    with db.read() as conn:
        leads = set(conn.execute(sa.select(associations.c.to_id).where(
            associations.c.portal_id == portal.id, associations.c.from_id == cid,
            associations.c.type_id == ct.PRIMARY_CONTACT_TO_LEAD)).scalars())
        kept = set(conn.execute(sa.select(lead_documents.c.lead_id).where(
            lead_documents.c.lead_id.in_(leads))).scalars())
    assert len(leads) == count + 1
    if db.is_sqlite:
        assert len(kept) == leaddocs.CONTACT_FANOUT
    assert_documents_current(db, portal.id, missing=frozenset(leads - kept))
    for lead_id in leads - kept:
        with db.read() as conn:
            guid = service.load(conn, portal.id, [lead_id])[0].guid
        assert get(portal, guid)["firstName"] == "Many"


def test_a_read_under_load_sees_what_another_process_committed_before_it(db, server, portal):
    """The server's point reads of one pass of its event loop share one snapshot
    (store/sqliteraw.py LoopSnapshot), opened after every request of the pass was received.
    With other clients keeping every pass busy, each change this process (another
    process than the server's) commits must be in the next read's answer."""
    made = make_lead(db, portal.id, firstName="N0", email="under-load@example.com")
    cid = contact_id(db, made.lead_id)
    warm(db, portal, made.guid, made.lead_id)
    stop = False
    answered = [0]
    failed: list[int] = []

    def load() -> None:
        with portal.client() as c:
            while not stop:
                status = c.get(f"/leads/v1/lead/{made.guid}").status_code
                if status != 200:
                    failed.append(status)
                answered[0] += 1

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        with portal.client() as c:
            for n in range(1, 31):
                with db.write() as conn:
                    row = objects.get(conn, portal.id, ct.CONTACTS, cid, for_update=True)
                    assert row is not None
                    objects.update_props(conn, row, {"firstname": f"N{n}"},
                                         Change(1_700_000_000_000 + n, "CRM_UI", "tests"))
                lead = c.get(f"/leads/v1/lead/{made.guid}").json()[0]
                assert lead["firstName"] == f"N{n}"
                by_email = c.get("/leads/v1/lead", params={"email": "under-load@example.com"})
                assert by_email.json()[0]["firstName"] == f"N{n}"
                contact = c.get(f"/crm/v3/objects/contacts/{cid}").json()
                assert contact["properties"]["firstname"] == f"N{n}"
    finally:
        stop = True
        for t in threads:
            t.join()
    assert answered[0] > 30  # the load ran alongside
    assert failed == []

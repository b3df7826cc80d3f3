"""No request of the API walks a portal's rows where an index finds them.

The store is never ``ANALYZE``d, so SQLite's plans do not depend on the data:
a plan seen on this small store is the plan on a million leads. Without
statistics its planner was misled more than once into walking every row of
a portal (an object's associations read through an index that only yields
their order, a list of guids read along its sort's index, a delete of two
directions joined by ``OR``), each found by hand long after it was written.

This test sends the API's requests (v1 and v3, reads and writes, lists,
searches, batches, associations, labels, properties, merges and deletes) to
the application in this process, processes form posts as the worker does,
captures every statement SQLAlchemy sends,
and asks SQLite how it would run each one. A statement whose plan reads a
large table (objects, associations, documents, history, events...) only
narrowed to the portal, or not narrowed at all, fails the test, unless it is
one of the few that must visit a whole portal and says so below.
The statements the lanes send on their own connections are checked by the
tests of each lane's plan (``test_*plan*.py``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from leadhub.app import create_app
from leadhub.config import Settings
from leadhub.ingest import service as ingest_service
from leadhub.ingest.process import Policy, process_claimed
from leadhub.store import Database
from leadhub.store import queue as queue_store
from leadhub.util import new_guid
from tests.conftest import make_portal
from tests.factories import make_lead

# Tables that grow with the leads a portal holds.
LARGE = (
    "objects", "associations", "lead_documents", "unique_values", "property_history",
    "conversion_events", "lead_logs", "submissions", "callbacks",
)
_LARGE = "|".join(LARGE)
# A walk: a scan of a large table, or a search of one narrowed only by the portal.
WALK = re.compile(
    rf"^(SCAN (\w+ AS )?({_LARGE})\b|SEARCH (\w+ AS )?({_LARGE})\b.* \(portal_id=\?\)$)"
)
# Statements that visit a whole portal by what they are, not by a misled plan.
WHOLE_PORTAL = (
    # an association label removed: every association of its type goes with it
    "SELECT DISTINCT associations.from_id FROM associations WHERE associations.portal_id = ? "
    "AND associations.type_id IN",
    "DELETE FROM associations WHERE associations.portal_id = ? AND associations.type_id IN",
)


@pytest.fixture
def sent(db: Database) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, many):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters[0] if many and parameters else parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    yield statements
    sa.event.remove(db.engine, "before_cursor_execute", capture)


async def _workload(app: Any, token: str, lead_guids: list[str], event_guid: str) -> None:
    transport = httpx.ASGITransport(app=app)
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://plans.test",
                                 headers=auth) as c:

        async def ok(method: str, url: str, **kw: Any) -> Any:
            r = await c.request(method, url, **kw)
            assert r.status_code < 300, (method, url, r.status_code, r.text)
            return r.json() if r.content else None

        v3, v4 = "/crm/v3/objects", "/crm/v4/objects"
        await ok("POST", "/crm/v3/properties/contacts", json={
            "name": "code_name", "label": "Code", "type": "string", "fieldType": "text",
            "groupName": "contactinformation"})
        contacts = [
            (await ok("POST", f"{v3}/contacts", json={"properties": {
                "email": f"plan{i}@example.com", "firstname": f"P{i}", "code_name": "x"}}))["id"]
            for i in range(4)
        ]
        company = (await ok("POST", f"{v3}/companies", json={
            "properties": {"name": "Plan Co", "domain": "plan.example"}}))["id"]
        lead = (await ok("POST", f"{v3}/leads", json={
            "properties": {"hs_lead_name": "Plan lead"},
            "associations": [{"to": {"id": contacts[0]}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
        }))["id"]
        label = (await ok("POST", "/crm/v4/associations/contacts/companies/labels",
                          json={"label": "Plan label", "name": "plan_label"}))["results"][0]
        for contact in contacts[:3]:
            await ok("PUT", f"{v4}/contacts/{contact}/associations/default/companies/{company}")
        await ok("PUT", f"{v4}/contacts/{contacts[1]}/associations/companies/{company}", json=[
            {"associationCategory": "USER_DEFINED", "associationTypeId": label["typeId"]}])
        for params in (
            {"properties": "email,code_name,hs_object_id", "archived": "false"},
            {"associations": "companies,leads", "propertiesWithHistory": "email"},
            {"archived": "true"},
        ):
            await c.get(f"{v3}/contacts/{contacts[1]}", params=params)
        await ok("GET", f"{v3}/contacts/plan2@example.com", params={"idProperty": "email"})
        await ok("GET", f"{v3}/companies/plan.example", params={"idProperty": "domain"})
        await ok("GET", f"{v3}/leads/{lead}", params={"associations": "contacts"})
        # Pages of live objects are the point-read lane's (test_object_page_plan.py);
        # with associations, and archived ones, the ordinary face's.
        page = await ok("GET", f"{v3}/contacts", params={"limit": "2"})
        await ok("GET", f"{v3}/contacts", params={
            "limit": "2", "after": page["paging"]["next"]["after"], "properties": "email",
            "associations": "companies"})
        await ok("GET", f"{v3}/contacts", params={"limit": "2", "archived": "true"})
        await ok("POST", f"{v3}/contacts/search", json={
            "filterGroups": [{"filters": [
                {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "plan*"}]}],
            "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
            "properties": ["email"], "limit": 2})
        await ok("POST", f"{v3}/leads/search", json={"filterGroups": [{"filters": [
            {"propertyName": "hs_lead_name", "operator": "EQ", "value": "Plan lead"}]}]})
        await ok("POST", f"{v3}/contacts/batch/read", json={
            "inputs": [{"id": i} for i in contacts], "properties": ["email"]})
        await ok("POST", f"{v3}/contacts/batch/read", json={
            "idProperty": "email", "inputs": [{"id": "plan1@example.com"}]})
        await ok("POST", f"{v3}/contacts/batch/update", json={"inputs": [
            {"id": contacts[2], "properties": {"firstname": "Batch"}}]})
        made = await ok("POST", f"{v3}/contacts/batch/create", json={"inputs": [
            {"properties": {"email": "planbatch@example.com"}}]})
        await ok("PATCH", f"{v3}/contacts/{contacts[3]}", json={"properties": {"code_name": "y"}})
        await ok("PATCH", f"{v3}/leads/{lead}", json={"properties": {"hs_lead_name": "Moved"}})
        for version in ("v3", "v4"):
            await ok("GET", f"/crm/{version}/objects/contacts/{contacts[1]}/associations/companies")
            await ok("GET", f"/crm/{version}/objects/companies/{company}/associations/contacts",
                     params={"limit": "1"})
        await ok("POST", "/crm/v4/associations/contacts/companies/batch/read", json={
            "inputs": [{"id": contacts[1]}]})
        await ok("DELETE", f"{v4}/contacts/{contacts[2]}/associations/companies/{company}")
        await ok("POST", f"{v3}/contacts/merge", json={
            "primaryObjectId": contacts[1], "objectIdToMerge": contacts[3]})
        await ok("DELETE", f"/crm/v4/associations/contacts/companies/labels/{label['typeId']}")
        await ok("POST", f"{v3}/contacts/batch/archive", json={
            "inputs": [{"id": made["results"][0]["id"]}]})
        await ok("DELETE", f"{v3}/contacts/{contacts[2]}")
        await ok("POST", f"{v3}/contacts/gdpr-delete", json={"objectId": contacts[0]})
        await ok("GET", "/crm/v3/properties/contacts")
        await ok("DELETE", "/crm/v3/properties/contacts/code_name")

        # A second lead of a v1 lead's person: a lookup by email then has two to choose from.
        person = (await ok("GET", f"{v3}/contacts/planlead0@example.com",
                           params={"idProperty": "email"}))["id"]
        await ok("POST", f"{v3}/leads", json={
            "properties": {"hs_lead_name": "Second lead"},
            "associations": [{"to": {"id": person}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
        })
        v1 = "/leads/v1"
        await ok("GET", f"{v1}/lead/{lead_guids[0]}")
        await ok("GET", f"{v1}/lead", params={"email": "planlead0@example.com"})
        await ok("GET", f"{v1}/lead", params={"email": "planlead1@example.com"})
        await ok("GET", f"{v1}/lead", params={"conversionEventGuid": event_guid})
        for params in (
            {}, {"search": "planlead", "sort": "lastName", "dir": "asc"}, {"search": "pl"},
            {"timePivot": "insertedAt", "startTime": "1600000000000"},
            {"guids[0]": lead_guids[0], "guids[1]": lead_guids[1]},
            {"guids[0]": lead_guids[2], "search": "planlead", "sort": "email"},
            {"offset": "2", "max": "2", "includeDeleted": "true"},
            {"excludeConversionEvents": "true", "bounced": "true"},
        ):
            await ok("GET", f"{v1}/list", params=params)
        await ok("PUT", f"{v1}/lead/{lead_guids[1]}", json={
            "guid": lead_guids[1], "firstName": "Renamed", "closedAt": 1_650_000_000_000})
        await ok("PUT", f"{v1}/lead/{lead_guids[2]}", json={
            "guid": lead_guids[2], "isDeleted": True})


def _drain(db: Database, portal_id: int) -> None:
    """Form posts of new people, of known people and of a known user token, processed as
    the worker processes them."""
    form = db.write_call(ingest_service.create_form, portal_id, "Plans form")
    posts = [
        [("Email", "plannew@example.com"), ("FirstName", "New"), ("UserToken", "tok-1")],
        [("Email", "planlead0@example.com"), ("Company", "Known Co")],
        [("Email", "plannew2@example.com"), ("UserToken", "tok-1")],
        [("Email", "PLANNEW@example.com"), ("LastName", "Again")],
    ]
    db.write_call(queue_store.enqueue, [
        {"guid": new_guid(), "portal_id": portal_id, "form_id": form.id,
         "form_name": form.name, "form_guid": form.guid, "fields": fields,
         "received_at": 1_700_000_000_000 + i}
        for i, fields in enumerate(posts)
    ])
    ids = db.write_call(queue_store.claim_submissions, "plans", 1_800_000_000_000, 60_000, 10, 5)
    assert len(ids) == len(posts)
    outcomes = db.write_call(process_claimed, ids, "plans", Policy())
    assert len(outcomes) == len(posts)


def test_no_request_walks_a_portal(db: Database, sent: list[tuple[str, Any]]) -> None:
    if not db.is_sqlite:
        pytest.skip("a plan without statistics is SQLite's")
    portal = make_portal(db, type("S", (), {"url": "http://plans.test"})(), "Plans")
    leads = [
        make_lead(db, portal.id, email=f"planlead{i}@example.com",
                  conversions=(1_600_000_000_000 + i,))
        for i in range(3)
    ]
    app = create_app(Settings(database_url=str(db.engine.url), embedded_worker=False), db=db)
    try:
        sent.clear()
        asyncio.run(_workload(app, portal.token, [x.guid for x in leads],
                              leads[0].event_guids[0]))
        _drain(db, portal.id)
    finally:
        app.state.ingest.stop()
    assert len(sent) > 200  # the workload reached the store
    walks = {}
    with db.read() as conn:
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
                continue
            text = " ".join(statement.split())
            if text.startswith(WHOLE_PORTAL):
                continue
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            bad = [str(r[3]) for r in rows if WALK.match(str(r[3]))]
            if bad:
                walks[text[:300]] = bad
    assert not walks, "\n".join(f"{plan}: {text}" for text, plan in walks.items())

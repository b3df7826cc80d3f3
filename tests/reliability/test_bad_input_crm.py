"""Bad input catalogue for the CRM v3 face (objects, batches, search, properties,
associations).

Every malformed, oversized, out-of-range or hostile request gets a 4xx in
HubSpot's v3 error body (status, message, correlationId, category; a
VALIDATION_ERROR names the problem) and changes nothing: every row of every
table of the store is the same before and after. The v1 face's catalogue is
``test_bad_input.py``; the form post's is ``test_bad_form_posts.py``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import PortalCtx, make_portal
from tests.reliability.helpers import rss_mb, snapshot

MB = 1 << 20
J = "application/json"
CONTACTS = "/crm/v3/objects/contacts"
LEADS = "/crm/v3/objects/leads"
PROPS = "/crm/v3/properties/contacts"
V4_BATCH = "/crm/v4/associations/contacts/companies/batch"
HUGE = "x" * MB
INJECTION = "email' OR '1'='1"
INJECTION_SQL = "email; DROP TABLE objects; --"


@dataclass(frozen=True)
class Case:
    """One bad request; ``{name}`` in url and body is filled from the world's values."""

    id: str
    method: str
    url: str
    body: Any = None  # sent as JSON unless ``raw`` is given
    status: int = 400
    mentions: str | None = None
    raw: bytes | None = None
    ctype: str | None = J


# ---------------------------------------------------------------- the portal's data

@pytest.fixture(scope="module")
def world(db, server) -> tuple[PortalCtx, dict[str, str]]:
    """One portal with a contact, an archived contact, a company, a lead, custom
    properties of each type and a custom association label."""
    p = make_portal(db, server, "Bad input")
    tag = uuid.uuid4().hex[:8]
    v: dict[str, str] = {}
    with p.client() as c:
        for name, type_, field_type, extra in (
            ("bi_count", "number", "number", {}),
            ("bi_day", "date", "date", {}),
            ("bi_when", "datetime", "date", {}),
            ("bi_flag", "bool", "booleancheckbox", {"options": [
                {"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}]}),
            ("bi_choice", "enumeration", "select", {"options": [
                {"label": "A", "value": "a"}, {"label": "B", "value": "b"}]}),
            ("bi_code", "string", "text", {"hasUniqueValue": True}),
        ):
            r = c.post(PROPS, json={"name": name, "label": name, "type": type_,
                                    "fieldType": field_type, "groupName": "contactinformation",
                                    **extra})
            assert r.status_code == 201, r.text
        r = c.post(CONTACTS, json={"properties": {
            "email": f"ada-{tag}@example.com", "firstname": "Ada", "bi_count": "7",
            "bi_choice": "a", "bi_code": f"code-{tag}"}})
        assert r.status_code == 201, r.text
        v["contact_id"] = r.json()["id"]
        v["email"] = f"ada-{tag}@example.com"
        r = c.post(CONTACTS, json={"properties": {"email": f"gone-{tag}@example.com"}})
        v["archived_id"] = r.json()["id"]
        assert c.delete(f"{CONTACTS}/{v['archived_id']}").status_code == 204
        r = c.post("/crm/v3/objects/companies", json={"properties": {"name": "Engines"}})
        assert r.status_code == 201, r.text
        v["company_id"] = r.json()["id"]
        r = c.post(LEADS, json={
            "properties": {"hs_lead_name": "Ada's lead"},
            "associations": [{"to": {"id": v["contact_id"]}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]})
        assert r.status_code == 201, r.text
        v["lead_id"] = r.json()["id"]
        r = c.post("/crm/v4/associations/contacts/companies/labels",
                   json={"label": "Founder", "name": f"founder_{tag}"})
        assert r.status_code in (200, 201), r.text
        v["label_id"] = str(r.json()["results"][0]["typeId"])
        r = c.put(f"/crm/v4/objects/contacts/{v['contact_id']}/associations/companies/"
                  f"{v['company_id']}",
                  json=[{"associationCategory": "USER_DEFINED",
                         "associationTypeId": int(v["label_id"])}])
        assert r.status_code in (200, 201), r.text
    return p, v


# ---------------------------------------------------------------- the cases

# (url, a valid body) for every JSON-taking route; each gets the raw-body cases below.
JSON_ROUTES: list[tuple[str, str, Any]] = [
    ("POST", CONTACTS, {"properties": {"firstname": "x"}}),
    ("PATCH", CONTACTS + "/{contact_id}", {"properties": {"firstname": "x"}}),
    ("POST", CONTACTS + "/search", {"query": "ada"}),
    ("POST", CONTACTS + "/batch/read", {"inputs": [{"id": "{contact_id}"}]}),
    ("POST", CONTACTS + "/batch/create", {"inputs": [{"properties": {"firstname": "x"}}]}),
    ("POST", CONTACTS + "/batch/update",
     {"inputs": [{"id": "{contact_id}", "properties": {"firstname": "x"}}]}),
    ("POST", CONTACTS + "/batch/upsert",
     {"inputs": [{"id": "x@example.com", "idProperty": "email", "properties": {}}]}),
    ("POST", CONTACTS + "/batch/archive", {"inputs": [{"id": "{contact_id}"}]}),
    ("POST", CONTACTS + "/merge",
     {"primaryObjectId": "{contact_id}", "objectIdToMerge": "{archived_id}"}),
    ("POST", CONTACTS + "/gdpr-delete", {"objectId": "{contact_id}"}),
    ("POST", PROPS, {"name": "bi_new", "label": "New", "type": "string", "fieldType": "text",
                     "groupName": "contactinformation"}),
    ("PATCH", PROPS + "/bi_count", {"label": "Count"}),
    ("POST", PROPS + "/batch/create", {"inputs": [
        {"name": "bi_new", "label": "New", "type": "string", "fieldType": "text",
         "groupName": "contactinformation"}]}),
    ("POST", PROPS + "/groups", {"name": "bi_group", "label": "Group"}),
    ("PUT", "/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}",
     [{"associationCategory": "USER_DEFINED", "associationTypeId": "#{label_id}"}]),
    ("POST", V4_BATCH + "/create", {"inputs": [
        {"from": {"id": "{contact_id}"}, "to": {"id": "{company_id}"},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}]}),
    ("POST", V4_BATCH + "/archive",
     {"inputs": [{"from": {"id": "{contact_id}"}, "to": [{"id": "{company_id}"}]}]}),
    ("POST", "/crm/v4/associations/contacts/companies/labels", {"label": "L", "name": "l"}),
    ("POST", "/crm/v4/associations/definitions/configurations/contacts/companies/batch/create",
     {"inputs": [{"category": "USER_DEFINED", "typeId": "#{label_id}", "maxToObjectIds": 2}]}),
]

# (case, raw body, content type, status, a word the message names)
RAW_BODIES: list[tuple[str, bytes, str | None, int, str | None]] = [
    ("malformed", b'{"properties": ', J, 400, "JSON"),
    ("empty", b"", J, 400, "JSON"),
    ("trailing garbage", b'{"inputs": []}x', J, 400, "JSON"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, J, 400, "JSON"),
    ("invalid utf-8", b'{"properties": {"firstname": "\xff\xfe"}}', J, 400, "JSON"),
    ("lone surrogate", b'{"properties": {"firstname": "\\ud800"}}', J, 400, "JSON"),
    ("NUL in key", b'{"proper\\u0000ties": {}}', J, 400, "NUL"),
    ("NUL in value", b'{"properties": {"firstname": "a\\u0000b"}}', J, 400, "NUL"),
    ("form body", b"properties=x", "application/x-www-form-urlencoded", 415, "JSON"),
    ("text body", b'{"properties": {}}', "text/plain", 415, "JSON"),
    ("no content type", b'{"properties": {}}', None, 415, "JSON"),
    ("json lookalike", b'{"properties": {}}', "application/jsonp", 415, "JSON"),
]

# Every route gets every raw body; the shapes differ per route, so the bodies that parse
# must still be refused before they mean anything.
FULL_RAW = {CONTACTS, CONTACTS + "/batch/upsert", PROPS, V4_BATCH + "/create"}
RAW_CASES = [
    Case(f"{m} {url} {name}", m, url, None, status, mentions, raw, ctype)
    for m, url, _ in JSON_ROUTES
    for name, raw, ctype, status, mentions in RAW_BODIES
    if url in FULL_RAW or name in ("malformed", "NUL in value", "text body")
]

WRONG_SHAPES = [
    Case(f"{m} {url} body is a string", m, url, "hello", 400)
    for m, url, _ in JSON_ROUTES
] + [
    Case(f"{m} {url} body is a list of strings", m, url, ["x"], 400)
    for m, url, _ in JSON_ROUTES if url in FULL_RAW
]


def _inputs(n: int, item: Any) -> dict[str, Any]:
    return {"inputs": [item(i) if callable(item) else item for i in range(n)]}


def _contact(i: int) -> dict[str, Any]:
    return {"properties": {"email": f"many-{i}@example.com"}}


BATCH_LIMITS = [
    Case("batch read 101", "POST", CONTACTS + "/batch/read",
         _inputs(101, lambda i: {"id": str(i + 1)}), 400, "100"),
    Case("batch read 51 with history", "POST", CONTACTS + "/batch/read",
         {**_inputs(51, lambda i: {"id": str(i + 1)}), "propertiesWithHistory": ["email"]},
         400, "50"),
    Case("batch create 101", "POST", CONTACTS + "/batch/create", _inputs(101, _contact),
         400, "100"),
    Case("batch update 101", "POST", CONTACTS + "/batch/update",
         _inputs(101, {"id": "{contact_id}", "properties": {"firstname": "x"}}), 400, "100"),
    Case("batch upsert 101", "POST", CONTACTS + "/batch/upsert",
         _inputs(101, lambda i: {"id": f"up-{i}@example.com", "idProperty": "email",
                                 "properties": {"firstname": "x"}}), 400, "100"),
    Case("batch archive 101", "POST", CONTACTS + "/batch/archive",
         _inputs(101, {"id": "{contact_id}"}), 400, "100"),
    Case("lead batch create 101", "POST", LEADS + "/batch/create",
         _inputs(101, {"properties": {"hs_lead_name": "x"}, "associations": [
             {"to": {"id": "{contact_id}"}, "types": [
                 {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]}),
         400, "100"),
    Case("association batch read 1001", "POST", V4_BATCH + "/read",
         _inputs(1001, {"id": "{contact_id}"}), 400, "1000"),
    Case("association batch create 2001", "POST", V4_BATCH + "/create",
         _inputs(2001, {"from": {"id": "{contact_id}"}, "to": {"id": "{company_id}"},
                        "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                   "associationTypeId": 279}]}), 400, "2000"),
    Case("association batch archive 2001", "POST", V4_BATCH + "/archive",
         _inputs(2001, {"from": {"id": "{contact_id}"}, "to": [{"id": "{company_id}"}]}),
         400, "2000"),
    Case("association batch default 2001", "POST", V4_BATCH + "/associate/default",
         _inputs(2001, {"from": {"id": "{contact_id}"}, "to": {"id": "{company_id}"}}),
         400, "2000"),
    Case("association batch labels archive 2001", "POST", V4_BATCH + "/labels/archive",
         _inputs(2001, {"from": {"id": "{contact_id}"}, "to": {"id": "{company_id}"},
                        "types": [{"associationCategory": "USER_DEFINED",
                                   "associationTypeId": "#{label_id}"}]}), 400, "2000"),
    Case("batch inputs not a list", "POST", CONTACTS + "/batch/create", {"inputs": {"a": 1}}),
    Case("batch inputs missing", "POST", CONTACTS + "/batch/update", {}),
    Case("batch input not an object", "POST", CONTACTS + "/batch/update", {"inputs": [1]}),
    Case("batch read ids as objects", "POST", CONTACTS + "/batch/read",
         {"inputs": [{"id": {"$gt": 0}}]}),
    Case("batch update id null", "POST", CONTACTS + "/batch/update",
         {"inputs": [{"id": None, "properties": {}}]}),
    Case("batch update one bad value fails all", "POST", CONTACTS + "/batch/update",
         {"inputs": [{"id": "{contact_id}", "properties": {"firstname": "changed"}},
                     {"id": "{contact_id}", "properties": {"bi_count": "many"}}]},
         400, "bi_count"),
    Case("batch create one unknown property fails all", "POST", CONTACTS + "/batch/create",
         {"inputs": [{"properties": {"email": "new-one@example.com"}},
                     {"properties": {"no_such_property": "x"}}]}, 400, "no_such_property"),
    Case("batch upsert idProperty not unique", "POST", CONTACTS + "/batch/upsert",
         {"inputs": [{"id": "Ada", "idProperty": "firstname", "properties": {"lastname": "x"}}]},
         400, "firstname"),
    Case("batch upsert idProperty unknown", "POST", CONTACTS + "/batch/upsert",
         {"inputs": [{"id": "x", "idProperty": INJECTION, "properties": {}}]}, 400),
    Case("batch upsert id as object", "POST", CONTACTS + "/batch/upsert",
         {"inputs": [{"id": {"a": 1}, "idProperty": "email", "properties": {}}]}, 400),
    Case("batch read properties not names", "POST", CONTACTS + "/batch/read",
         {"inputs": [{"id": "{contact_id}"}], "properties": [{"a": 1}]}, 400),
    Case("batch read idProperty injection", "POST", CONTACTS + "/batch/read",
         {"inputs": [{"id": "{contact_id}"}], "idProperty": INJECTION_SQL}, 400),
    Case("batch read idProperty as number", "POST", CONTACTS + "/batch/read",
         {"inputs": [{"id": "{contact_id}"}], "idProperty": 5}, 400),
]


def _filters(n: int) -> list[dict[str, Any]]:
    return [{"propertyName": "firstname", "operator": "HAS_PROPERTY"}] * n


S = CONTACTS + "/search"
SEARCHES = [
    Case("search 6 filterGroups", "POST", S,
         {"filterGroups": [{"filters": _filters(1)}] * 6}, 400, "filterGroups"),
    Case("search 7 filters in a group", "POST", S,
         {"filterGroups": [{"filters": _filters(7)}]}, 400, "filters"),
    Case("search 19 filters in all", "POST", S,
         {"filterGroups": [{"filters": _filters(4)}] * 4 + [{"filters": _filters(3)}]},
         400, "18"),
    Case("search limit 201", "POST", S, {"limit": 201}, 400, "limit"),
    Case("search limit 0", "POST", S, {"limit": 0}, 400, "limit"),
    Case("search limit negative", "POST", S, {"limit": -1}, 400, "limit"),
    Case("search limit past 64 bits", "POST", S, {"limit": 10**30}, 400, "limit"),
    Case("search limit float", "POST", S, {"limit": 10.5}, 400, "limit"),
    Case("search limit text", "POST", S, {"limit": "ten"}, 400, "limit"),
    Case("search after past 10,000", "POST", S, {"after": 10_000, "limit": 1}, 400, "10000"),
    Case("search after as text past 10,000", "POST", S, {"after": "9999", "limit": 2},
         400, "10000"),
    Case("search after negative", "POST", S, {"after": -5}, 400, "after"),
    Case("search after huge", "POST", S, {"after": "9" * 40}, 400),
    Case("search limit superscript", "POST", S, {"limit": "\u00b2"}, 400, "limit"),
    Case("search after 5,000 digits", "POST", S, {"after": "9" * 5000}, 400, "after"),
    Case("search filter association id superscript", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "associations.company",
                                         "operator": "EQ", "value": "\u00b2"}]}]}, 400),
    Case("search filter hs_object_id superscript", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "EQ",
                                         "value": "\u00b2"}]}]}, 400, "hs_object_id"),
    Case("search after object", "POST", S, {"after": {"a": 1}}, 400, "after"),
    Case("search two sorts", "POST", S,
         {"sorts": [{"propertyName": "email"}, {"propertyName": "firstname"}]}, 400, "sort"),
    Case("search sort injection", "POST", S, {"sorts": [INJECTION_SQL]}, 400, "sort"),
    Case("search sort injection in propertyName", "POST", S,
         {"sorts": [{"propertyName": INJECTION, "direction": "ASCENDING"}]}, 400, "sort"),
    Case("search sort props path", "POST", S, {"sorts": ["props->>'email'"]}, 400, "sort"),
    Case("search sort not a list", "POST", S, {"sorts": "email"}, 400, "sort"),
    Case("search sort bad direction", "POST", S,
         {"sorts": [{"propertyName": "email", "direction": "SIDEWAYS"}]}, 400, "direction"),
    Case("search query not a string", "POST", S, {"query": {"$ne": ""}}, 400, "query"),
    Case("search query 1 MB", "POST", S, {"query": HUGE}, 400, "query"),
    Case("search filterGroups not a list", "POST", S, {"filterGroups": "x"}, 400),
    Case("search filters missing", "POST", S, {"filterGroups": [{}]}, 400),
    Case("search filter propertyName injection", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": INJECTION_SQL, "operator": "EQ",
                                         "value": "x"}]}]}, 400, "does not exist"),
    Case("search filter propertyName NUL-free odd", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "\ufffd\u202e", "operator": "EQ",
                                         "value": "x"}]}]}, 400, "does not exist"),
    Case("search filter propertyName 1 MB", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": HUGE, "operator": "EQ",
                                         "value": "x"}]}]}, 400),
    Case("search filter operator injection", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "email",
                                         "operator": "EQ' OR 1=1 --", "value": "x"}]}]},
         400, "operator"),
    Case("search filter operator lower case", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "eq",
                                         "value": "x"}]}]}, 400, "operator"),
    Case("search filter value missing", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ"}]}]},
         400, "value"),
    Case("search filter IN without values", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "IN"}]}]},
         400, "values"),
    Case("search filter BETWEEN without highValue", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "bi_count", "operator": "BETWEEN",
                                         "value": 1}]}]}, 400, "highValue"),
    Case("search filter number not a number", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "bi_count", "operator": "GT",
                                         "value": "1; DROP TABLE objects"}]}]}, 400, "bi_count"),
    Case("search filter number infinite", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "bi_count", "operator": "GT",
                                         "value": "1e400"}]}]}, 400, "bi_count"),
    Case("search filter value object", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ",
                                         "value": {"$ne": None}}]}]}, 400),
    Case("search filter date not a date", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "bi_day", "operator": "EQ",
                                         "value": "31/02/2020"}]}]}, 400, "bi_day"),
    Case("search filter createdate past year 9999", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "createdate", "operator": "GT",
                                         "value": "9" * 30}]}]}, 400, "createdate"),
    Case("search filter hs_object_id not a number", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "EQ",
                                         "value": "1 OR 1=1"}]}]}, 400, "hs_object_id"),
    Case("search filter association type unknown", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "associations.widget",
                                         "operator": "EQ", "value": "1"}]}]}, 400),
    Case("search filter association id injection", "POST", S,
         {"filterGroups": [{"filters": [{"propertyName": "associations.company",
                                         "operator": "EQ", "value": "1 OR 1=1"}]}]}, 400),
    Case("search properties not names", "POST", S, {"properties": [1, 2]}, 400, "properties"),
    Case("search unknown object type", "POST", "/crm/v3/objects/widgets/search", {}, 400,
         "widgets"),
]

OBJECTS = [
    Case("create unknown property", "POST", CONTACTS,
         {"properties": {"no_such_property": "x"}}, 400, "no_such_property"),
    Case("create injection in property name", "POST", CONTACTS,
         {"properties": {INJECTION_SQL: "x"}}, 400, "does not exist"),
    Case("create 1 MB property name", "POST", CONTACTS, {"properties": {HUGE: "x"}}, 400),
    Case("create 1 MB value", "POST", CONTACTS, {"properties": {"firstname": HUGE}}, 400,
         "firstname"),
    Case("create 1 MB email", "POST", CONTACTS, {"properties": {"email": HUGE + "@x.io"}}, 400,
         "email"),
    Case("create unique value over 1,000 bytes", "POST", CONTACTS,
         {"properties": {"bi_code": "c" * 1001}}, 400, "bi_code"),
    Case("create duplicate unique value", "POST", CONTACTS,
         {"properties": {"email": "{email}"}}, 409),
    Case("create number not a number", "POST", CONTACTS,
         {"properties": {"bi_count": "seven"}}, 400, "bi_count"),
    Case("create number infinite", "POST", CONTACTS, {"properties": {"bi_count": "1e400"}}, 400,
         "bi_count"),
    Case("create number NaN", "POST", CONTACTS, {"properties": {"bi_count": "NaN"}}, 400,
         "bi_count"),
    Case("create number negative infinite", "POST", CONTACTS,
         {"properties": {"bi_count": "-1e400"}}, 400, "bi_count"),
    Case("create number superscript digit", "POST", CONTACTS,
         {"properties": {"bi_count": "\u00b2"}}, 400, "bi_count"),
    Case("create date superscript digits", "POST", CONTACTS,
         {"properties": {"bi_day": "\u00b9\u00b2\u00b3"}}, 400, "bi_day"),
    Case("create datetime 5,000 digits", "POST", CONTACTS,
         {"properties": {"bi_when": "9" * 5000}}, 400, "bi_when"),
    Case("create number 400 digits", "POST", CONTACTS,
         {"properties": {"bi_count": "9" * 400}}, 400, "bi_count"),
    Case("create number as object", "POST", CONTACTS,
         {"properties": {"bi_count": {"value": 1}}}, 400, "bi_count"),
    Case("create enumeration not an option", "POST", CONTACTS,
         {"properties": {"bi_choice": "c"}}, 400, "bi_choice"),
    Case("create enumeration injection", "POST", CONTACTS,
         {"properties": {"bi_choice": "a' OR '1'='1"}}, 400, "bi_choice"),
    Case("create enumeration case differs", "POST", CONTACTS,
         {"properties": {"bi_choice": "A"}}, 400, "bi_choice"),
    Case("create bool not a bool", "POST", CONTACTS, {"properties": {"bi_flag": "yes"}}, 400,
         "bi_flag"),
    Case("create date not a date", "POST", CONTACTS, {"properties": {"bi_day": "02/30/2020"}},
         400, "bi_day"),
    Case("create date not midnight", "POST", CONTACTS,
         {"properties": {"bi_day": 1_600_000_000_001}}, 400, "bi_day"),
    Case("create date past year 9999", "POST", CONTACTS,
         {"properties": {"bi_day": "10000-01-01"}}, 400, "bi_day"),
    Case("create datetime not a datetime", "POST", CONTACTS,
         {"properties": {"bi_when": "yesterday"}}, 400, "bi_when"),
    Case("create datetime past year 9999", "POST", CONTACTS,
         {"properties": {"bi_when": 253402300800000}}, 400, "bi_when"),
    Case("create datetime 30 digits", "POST", CONTACTS,
         {"properties": {"bi_when": "9" * 30}}, 400, "bi_when"),
    Case("create read-only property", "POST", CONTACTS,
         {"properties": {"hs_object_id": "1"}}, 400, "hs_object_id"),
    Case("create properties not an object", "POST", CONTACTS, {"properties": ["a"]}, 400,
         "properties"),
    Case("create association to archived contact", "POST", LEADS, {
        "properties": {"hs_lead_name": "x"},
        "associations": [{"to": {"id": "{archived_id}"}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]}, 400),
    Case("create association type that does not exist", "POST", LEADS, {
        "properties": {"hs_lead_name": "x"},
        "associations": [{"to": {"id": "{contact_id}"}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 999999}]}]}, 400),
    Case("create association type id past 64 bits", "POST", LEADS, {
        "properties": {"hs_lead_name": "x"},
        "associations": [{"to": {"id": "{contact_id}"}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 10**30}]}]}, 400),
    Case("create association category unknown", "POST", LEADS, {
        "properties": {"hs_lead_name": "x"},
        "associations": [{"to": {"id": "{contact_id}"}, "types": [
            {"associationCategory": "EVIL", "associationTypeId": 578}]}]}, 400),
    Case("create association to id injection", "POST", LEADS, {
        "properties": {"hs_lead_name": "x"},
        "associations": [{"to": {"id": "1 OR 1=1"}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]}, 400),
    Case("create lead without a contact", "POST", LEADS, {"properties": {"hs_lead_name": "x"}},
         400),
    Case("update unknown property", "PATCH", CONTACTS + "/{contact_id}",
         {"properties": {"no_such_property": "x"}}, 400, "no_such_property"),
    Case("update number past a double", "PATCH", CONTACTS + "/{contact_id}",
         {"properties": {"firstname": "changed", "bi_count": "1e309"}}, 400, "bi_count"),
    Case("update enumeration not an option", "PATCH", CONTACTS + "/{contact_id}",
         {"properties": {"firstname": "changed", "bi_choice": "zzz"}}, 400, "bi_choice"),
    Case("update archived id", "PATCH", CONTACTS + "/{archived_id}",
         {"properties": {"firstname": "changed"}}, 404),
    Case("update id past 64 bits", "PATCH", CONTACTS + "/" + "9" * 30,
         {"properties": {"firstname": "changed"}}, 404),
    Case("update id injection", "PATCH", CONTACTS + "/1%20OR%201=1",
         {"properties": {"firstname": "changed"}}, 404),
    Case("update idProperty not unique", "PATCH", CONTACTS + "/Ada?idProperty=firstname",
         {"properties": {"lastname": "changed"}}, 400, "firstname"),
    Case("update idProperty injection", "PATCH",
         CONTACTS + "/{contact_id}?idProperty=email%27%20OR%20%271%27=%271",
         {"properties": {"lastname": "changed"}}, 400),
    Case("update idProperty NUL", "PATCH", CONTACTS + "/{contact_id}?idProperty=em%00ail",
         {"properties": {"lastname": "changed"}}, 400, "NUL"),
    Case("update id NUL", "PATCH", CONTACTS + "/1%002", {"properties": {"lastname": "x"}}, 400,
         "NUL"),
    # HubSpot's archive is idempotent: an id that matches nothing answers 204, changing nothing.
    Case("archive id past 64 bits", "DELETE", LEADS + "/999999999999999999999999", None, 204),
    Case("archive id superscript", "DELETE", LEADS + "/\u00b2", None, 204),
    Case("get id superscript", "GET", CONTACTS + "/\u00b2", None, 404),
    Case("list limit superscript", "GET", CONTACTS + "?limit=\u00b2", None, 400, "limit"),
    Case("list limit 5,000 digits", "GET", CONTACTS + "?limit=" + "9" * 5000, None, 400,
         "limit"),
    Case("list after superscript", "GET", CONTACTS + "?after=\u00b2", None, 400, "after"),
    Case("get properties injection", "GET",
         CONTACTS + "/{contact_id}?properties=email%27%20OR%201=1", None, 200),
    Case("get id past 64 bits", "GET", CONTACTS + "/" + "9" * 30, None, 404),
    Case("get idProperty not unique", "GET", CONTACTS + "/Ada?idProperty=firstname", None, 400,
         "firstname"),
    Case("get NUL in properties", "GET", CONTACTS + "/{contact_id}?properties=em%00ail", None,
         400, "NUL"),
    Case("list limit 101", "GET", CONTACTS + "?limit=101", None, 400, "limit"),
    Case("list limit past 64 bits", "GET", CONTACTS + "?limit=" + "9" * 30, None, 400, "limit"),
    Case("list after injection", "GET", CONTACTS + "?after=1%20OR%201=1", None, 400, "after"),
    Case("list archived not a boolean", "GET", CONTACTS + "?archived=maybe", None, 400,
         "archived"),
    Case("unknown object type", "GET", "/crm/v3/objects/widgets", None, 400, "widgets"),
    Case("unknown object type injection", "POST", "/crm/v3/objects/contacts'--",
         {"properties": {}}, 400),
    Case("merge into itself", "POST", CONTACTS + "/merge",
         {"primaryObjectId": "{contact_id}", "objectIdToMerge": "{contact_id}"}, 400),
    Case("merge archived", "POST", CONTACTS + "/merge",
         {"primaryObjectId": "{contact_id}", "objectIdToMerge": "{archived_id}"}, 404),
    Case("merge ids as objects", "POST", CONTACTS + "/merge",
         {"primaryObjectId": {"a": 1}, "objectIdToMerge": "{contact_id}"}, 400),
    Case("gdpr-delete idProperty injection", "POST", CONTACTS + "/gdpr-delete",
         {"objectId": "{email}", "idProperty": INJECTION_SQL}, 400),
    Case("gdpr-delete id as object", "POST", CONTACTS + "/gdpr-delete",
         {"objectId": {"$ne": 0}}, 400),
]

ASSOCIATIONS = [
    Case("v3 put unknown type id", "PUT",
         "/crm/v3/objects/contacts/{contact_id}/associations/companies/{company_id}/999999",
         None, 400),
    Case("v3 put type id past 64 bits", "PUT",
         "/crm/v3/objects/contacts/{contact_id}/associations/companies/{company_id}/"
         + "9" * 30, None, 400),
    Case("v3 put type injection", "PUT",
         "/crm/v3/objects/contacts/{contact_id}/associations/companies/{company_id}/"
         "1%20OR%201=1", None, 400),
    Case("v3 put to archived", "PUT",
         "/crm/v3/objects/companies/{company_id}/associations/contacts/{archived_id}/280",
         None, 404),
    Case("v3 put unknown object type", "PUT",
         "/crm/v3/objects/contacts/{contact_id}/associations/widgets/{company_id}/279",
         None, 400),
    Case("v3 list limit past 64 bits", "GET",
         "/crm/v3/objects/contacts/{contact_id}/associations/companies?limit=" + "9" * 30,
         None, 400, "limit"),
    Case("v3 list limit superscript", "GET",
         "/crm/v3/objects/contacts/{contact_id}/associations/companies?limit=\u00b2",
         None, 400, "limit"),
    Case("v3 put type id superscript", "PUT",
         "/crm/v3/objects/contacts/{contact_id}/associations/companies/{company_id}/\u00b2",
         None, 400),
    Case("v4 put to id superscript", "PUT",
         "/crm/v4/objects/contacts/{contact_id}/associations/companies/\u00b2",
         [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}], 404),
    Case("label delete type id superscript", "DELETE",
         "/crm/v4/associations/contacts/companies/labels/\u00b2", None, 400),
    Case("create lead associated to id superscript", "POST", LEADS, {
        "properties": {"hs_lead_name": "x"},
        "associations": [{"to": {"id": "\u00b2"}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}]}, 400),
    Case("v3 list after injection", "GET",
         "/crm/v3/objects/contacts/{contact_id}/associations/companies?after=%27--",
         None, 400, "after"),
    Case("v3 delete the last primary of a lead with a bad type", "DELETE",
         "/crm/v3/objects/leads/{lead_id}/associations/contacts/{contact_id}/999999", None, 400),
    Case("v4 put unknown type id", "PUT",
         "/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}",
         [{"associationCategory": "USER_DEFINED", "associationTypeId": 999999}], 400),
    Case("v4 put type id as text", "PUT",
         "/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}",
         [{"associationCategory": "USER_DEFINED", "associationTypeId": "1 OR 1=1"}], 400),
    Case("v4 put type id past 64 bits", "PUT",
         "/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}",
         [{"associationCategory": "USER_DEFINED", "associationTypeId": 10**30}], 400),
    Case("v4 put category wrong for type", "PUT",
         "/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}",
         [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": "#{label_id}"}], 400),
    Case("v4 put body an object", "PUT",
         "/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}",
         {"associationTypeId": 279}, 400),
    Case("v4 put to id past 64 bits", "PUT",
         "/crm/v4/objects/contacts/{contact_id}/associations/companies/" + "9" * 30,
         [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}], 404),
    Case("v4 batch create unknown type", "POST", V4_BATCH + "/create", {"inputs": [
        {"from": {"id": "{contact_id}"}, "to": {"id": "{company_id}"},
         "types": [{"associationCategory": "USER_DEFINED", "associationTypeId": 999999}]}]},
         400, "999999"),
    Case("v4 batch create ids as objects", "POST", V4_BATCH + "/create", {"inputs": [
        {"from": {"id": {"a": 1}}, "to": {"id": "{company_id}"},
         "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}]},
         207),
    Case("v4 batch read ids injection", "POST", V4_BATCH + "/read",
         {"inputs": [{"id": "1 OR 1=1"}]}, 207),
    Case("label 1 MB", "POST", "/crm/v4/associations/contacts/companies/labels",
         {"label": HUGE, "name": "big"}, 400, "label"),
    Case("label delete unknown", "DELETE",
         "/crm/v4/associations/contacts/companies/labels/999999", None, 404),
    Case("label delete type id injection", "DELETE",
         "/crm/v4/associations/contacts/companies/labels/1%20OR%201=1", None, 400),
    Case("limit config unknown type", "POST",
         "/crm/v4/associations/definitions/configurations/contacts/companies/batch/create",
         {"inputs": [{"category": "USER_DEFINED", "typeId": 999999, "maxToObjectIds": 2}]},
         207),
    Case("limit config negative", "POST",
         "/crm/v4/associations/definitions/configurations/contacts/companies/batch/create",
         {"inputs": [{"category": "USER_DEFINED", "typeId": "#{label_id}",
                      "maxToObjectIds": -1}]}, 207),
    Case("limit config past 64 bits", "POST",
         "/crm/v4/associations/definitions/configurations/contacts/companies/batch/create",
         {"inputs": [{"category": "USER_DEFINED", "typeId": "#{label_id}",
                      "maxToObjectIds": 10**30}]}, 207),
]

GOOD_PROPERTY = {"name": "bi_new", "label": "New", "type": "string", "fieldType": "text",
                 "groupName": "contactinformation"}
PROPERTIES = [
    Case("property bad type", "POST", PROPS, {**GOOD_PROPERTY, "type": "blob"}, 400, "type"),
    Case("property type injection", "POST", PROPS, {**GOOD_PROPERTY, "type": INJECTION_SQL},
         400, "type"),
    Case("property fieldType does not fit", "POST", PROPS,
         {**GOOD_PROPERTY, "type": "number", "fieldType": "textarea"}, 400, "fieldType"),
    Case("property duplicate name", "POST", PROPS, {**GOOD_PROPERTY, "name": "bi_count"}, 409,
         "bi_count"),
    Case("property HubSpot name", "POST", PROPS, {**GOOD_PROPERTY, "name": "email"}, 409,
         "email"),
    Case("property name injection", "POST", PROPS, {**GOOD_PROPERTY, "name": INJECTION_SQL},
         400, "name"),
    Case("property name upper case", "POST", PROPS, {**GOOD_PROPERTY, "name": "BiNew"}, 400,
         "name"),
    Case("property name 1 MB", "POST", PROPS, {**GOOD_PROPERTY, "name": "a" * MB}, 400, "name"),
    Case("property name invalid", "POST", PROPS, {**GOOD_PROPERTY, "name": "\ufffd\u202e"}, 400,
         "name"),
    Case("property label 1 MB", "POST", PROPS, {**GOOD_PROPERTY, "label": HUGE}, 400, "label"),
    Case("property label not a string", "POST", PROPS, {**GOOD_PROPERTY, "label": 5}, 400,
         "label"),
    Case("property description not a string", "POST", PROPS,
         {**GOOD_PROPERTY, "description": {"a": 1}}, 400, "description"),
    Case("property displayOrder past 64 bits", "POST", PROPS,
         {**GOOD_PROPERTY, "displayOrder": 10**30}, 400, "displayOrder"),
    Case("property hidden not a boolean", "POST", PROPS, {**GOOD_PROPERTY, "hidden": "no"},
         400, "hidden"),
    Case("property group unknown", "POST", PROPS, {**GOOD_PROPERTY, "groupName": "nope"}, 400,
         "nope"),
    Case("property unknown field", "POST", PROPS, {**GOOD_PROPERTY, "evil": True}, 400, "evil"),
    Case("property enumeration without options", "POST", PROPS,
         {**GOOD_PROPERTY, "type": "enumeration", "fieldType": "select"}, 400, "options"),
    Case("property duplicate option values", "POST", PROPS,
         {**GOOD_PROPERTY, "type": "enumeration", "fieldType": "select",
          "options": [{"label": "A", "value": "a"}, {"label": "A2", "value": "a"}]}, 400,
         "twice"),
    Case("property option not an object", "POST", PROPS,
         {**GOOD_PROPERTY, "type": "enumeration", "fieldType": "select", "options": ["a"]},
         400, "option"),
    Case("property 5,001 options", "POST", PROPS,
         {**GOOD_PROPERTY, "type": "enumeration", "fieldType": "select",
          "options": [{"label": str(i), "value": str(i)} for i in range(5_001)]}, 400,
         "options"),
    Case("property unique date", "POST", PROPS,
         {**GOOD_PROPERTY, "type": "date", "fieldType": "date", "hasUniqueValue": True}, 400,
         "unique"),
    Case("property HubSpot type change", "PATCH", PROPS + "/email", {"type": "number",
                                                                     "fieldType": "number"},
         400, "email"),
    Case("property HubSpot group change", "PATCH", PROPS + "/firstname",
         {"groupName": "{NOGROUP}"}, 400),
    Case("property update name", "PATCH", PROPS + "/bi_count", {"name": "bi_other"}, 400,
         "name"),
    Case("property update unique", "PATCH", PROPS + "/bi_count", {"hasUniqueValue": True}, 400,
         "hasUniqueValue"),
    Case("property update type does not fit", "PATCH", PROPS + "/bi_count",
         {"fieldType": "textarea"}, 400, "fieldType"),
    Case("property update unknown", "PATCH", PROPS + "/no_such_property", {"label": "x"}, 404),
    Case("property update NUL in name", "PATCH", PROPS + "/bi%00count", {"label": "x"}, 400,
         "NUL"),
    Case("property archive HubSpot", "DELETE", PROPS + "/email", None, 400, "email"),
    Case("property get injection", "GET", PROPS + "/email%27%20OR%201=1", None, 404),
    Case("property group name injection", "POST", PROPS + "/groups",
         {"name": INJECTION_SQL, "label": "x"}, 400, "name"),
    Case("property group duplicate", "POST", PROPS + "/groups",
         {"name": "contactinformation", "label": "x"}, 409),
    Case("property group label 1 MB", "POST", PROPS + "/groups",
         {"name": "bi_big", "label": HUGE}, 400, "label"),
    Case("property unknown object type", "POST", "/crm/v3/properties/widgets", GOOD_PROPERTY,
         400, "widgets"),
    Case("property batch read not names", "POST", PROPS + "/batch/read",
         {"inputs": [{"name": 5}]}, 400),
]

CASES = RAW_CASES + WRONG_SHAPES + BATCH_LIMITS + SEARCHES + OBJECTS + ASSOCIATIONS + PROPERTIES
assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


def _fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str) and template.startswith("#{") and template.endswith("}"):
        return int(values[template[2:-1]])  # "#{name}": the value as a JSON number
    if isinstance(template, str) and "{" in template and len(template) < 1000:
        for key, value in values.items():
            template = template.replace("{" + key + "}", value)
        return template
    if isinstance(template, dict):
        return {_fill(k, values): _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    return template


def assert_v3_error(r: Any, status: int, mentions: str | None) -> None:
    """HubSpot's v3 error body; a validation error also says what was wrong."""
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert body["status"] == "error", body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["correlationId"], str) and body["correlationId"], body
    assert isinstance(body["category"], str) and body["category"], body
    if status == 400:
        assert body["category"] == "VALIDATION_ERROR", body
    if mentions:
        assert mentions.lower() in json.dumps(body).lower(), body["message"][:500]


@pytest.fixture(scope="module")
def api(world) -> Iterator[httpx.Client]:
    """One client for the module's cases (a client per case costs more than the case)."""
    with world[0].client() as client:
        yield client


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_v3_requests_get_4xx_and_change_nothing(db, world, api, case):
    _, values = world
    values = {**values, "NOGROUP": "no_such_group"}
    before = snapshot(db)
    url = _fill(case.url, values)
    headers = {"content-type": case.ctype} if case.ctype else {}
    if case.raw is not None:
        r = api.request(case.method, url, content=case.raw, headers=headers)
    elif case.body is None:
        r = api.request(case.method, url)
    else:
        content = json.dumps(_fill(case.body, values)).encode()
        r = api.request(case.method, url, content=content, headers=headers)
    if case.status < 300:
        assert r.status_code == case.status, r.text[:500]
    else:
        assert_v3_error(r, case.status, case.mentions)
    assert snapshot(db) == before


# ---------------------------------------------------------------- body size

def _chunks(total_mb: int) -> Iterator[bytes]:
    chunk = b" " * MB
    for _ in range(total_mb):
        yield chunk


def test_oversized_v3_bodies_get_413_and_memory_stays_flat(db, world, server):
    portal, values = world
    before = snapshot(db)
    headers = {"content-type": J}
    urls = [CONTACTS, CONTACTS + "/search", CONTACTS + "/batch/upsert", PROPS,
            V4_BATCH + "/create", f"{CONTACTS}/{values['contact_id']}"]
    with portal.client() as c:
        assert_v3_error(c.post(CONTACTS, content=_chunks(12), headers=headers), 413, None)
        rss = rss_mb(server.proc.pid)
        for url in urls:
            method = "PATCH" if url[-1].isdigit() else "POST"
            r = c.request(method, url, content=b" " * (11 * MB), headers=headers)
            assert_v3_error(r, 413, "10485760")
            r = c.request(method, url, content=_chunks(24), headers=headers)
            assert r.request.headers.get("transfer-encoding") == "chunked"
            assert_v3_error(r, 413, "10485760")
        # 6 x 35 MB sent; buffering them would grow the server by far more than this.
        assert rss_mb(server.proc.pid) - rss < 30
        # Just under the limit, a body is read and judged on its content.
        almost = b'{"query": "nobody-at-all"}' + b" " * (10 * MB - 100)
        r = c.post(CONTACTS + "/search", content=almost, headers=headers)
        assert r.status_code == 200 and r.json()["total"] == 0, r.text[:300]
    assert snapshot(db) == before


def test_values_at_the_edges_are_accepted_and_read_back(world):
    """The limits above are limits: values just inside them are stored and read back."""
    portal, values = world
    edge = {"bi_count": str(2**63 - 1), "bi_when": "9999-12-31T23:59:59.999Z",
            "bi_day": "9999-12-31", "firstname": "x" * 65_536,
            "lastname": "\u202e\ufeff\U0001f600 ' OR 1=1 --", "bi_code": "c" * 1000}
    with portal.client() as c:
        r = c.post(CONTACTS, json={"properties": edge})
        assert r.status_code == 201, r.text[:300]
        new_id = r.json()["id"]
        got = c.get(f"{CONTACTS}/{new_id}", params={"properties": ",".join(edge)}).json()
        assert got["properties"]["lastname"] == edge["lastname"]
        assert got["properties"]["firstname"] == edge["firstname"]
        assert got["properties"]["bi_count"] == edge["bi_count"]
        r = c.post(CONTACTS + "/search", json={
            "filterGroups": [{"filters": [{"propertyName": "lastname", "operator": "EQ",
                                           "value": edge["lastname"]}]}],
            "sorts": [{"propertyName": "bi_count", "direction": "DESCENDING"}],
            "limit": 200, "after": 9800})
        assert r.status_code == 200, r.text[:300]
        r = c.post(CONTACTS + "/search", json={"query": "' OR 1=1 --", "limit": 200})
        assert r.status_code == 200, r.text[:300]
        assert c.delete(f"{CONTACTS}/{new_id}").status_code == 204

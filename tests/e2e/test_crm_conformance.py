"""Our v3 responses validated against the schemas of HubSpot's published OpenAPI files."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator, FormatChecker

from tests.e2e.crm_helpers import primary

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec" / "hubspot"


def _openapi_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema's ``type: [..., "null"]``."""
    if isinstance(node, dict):
        out = {k: _openapi_to_jsonschema(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") and "type" in node:
            out["type"] = [node["type"], "null"]
        return out
    if isinstance(node, list):
        return [_openapi_to_jsonschema(v) for v in node]
    return node


FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.endswith("Z") and "T" in value


@cache
def _validator(spec: str, schema: str) -> Draft7Validator:
    doc = json.loads((SPEC_DIR / spec).read_text())
    components = _openapi_to_jsonschema(doc["components"])
    root = {"$ref": f"#/components/schemas/{schema}", "components": components}
    return Draft7Validator(root, format_checker=FORMATS)


def conforms(spec: str, schema: str, body: Any) -> None:
    """Fail with every violation of one published schema."""
    errors = sorted(_validator(spec, schema).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def _ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


LEADS = "crm-leads-v3.json"
OBJECTS = "crm-objects-v3.json"
PROPS = "crm-properties-v3.json"


@pytest.fixture
def http(portal):
    with portal.client() as client:
        yield client


def test_objects_and_leads_conform(http):
    contact = _ok(http.post("/crm/v3/objects/contacts",
                            json={"properties": {"email": "c@example.com", "firstname": "C"}}),
                  201)
    conforms(OBJECTS, "SimplePublicObject", contact)
    lead = _ok(http.post("/crm/v3/objects/leads",
                         json={"properties": {"hs_lead_name": "C"},
                               "associations": primary(contact["id"])}), 201)
    conforms(LEADS, "SimplePublicObject", lead)
    got = _ok(http.get(f"/crm/v3/objects/leads/{lead['id']}",
                       params={"associations": "contacts",
                               "propertiesWithHistory": "hs_lead_name,hs_object_id"}))
    conforms(LEADS, "SimplePublicObjectWithAssociations", got)
    conforms(OBJECTS, "SimplePublicObjectWithAssociations", got)
    patched = _ok(http.patch(f"/crm/v3/objects/leads/{lead['id']}",
                             json={"properties": {"hs_lead_label": "WARM"}}))
    conforms(LEADS, "SimplePublicObject", patched)
    http.post("/crm/v3/objects/leads", json={"properties": {"hs_lead_name": "D"},
                                             "associations": primary(contact["id"])})
    page = _ok(http.get("/crm/v3/objects/leads", params={"limit": 1, "associations": "contacts"}))
    assert page["paging"]["next"]["after"]
    conforms(LEADS, "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging", page)
    found = _ok(http.post("/crm/v3/objects/leads/search", json={"limit": 1}))
    conforms(LEADS, "CollectionResponseWithTotalSimplePublicObject", found)
    http.delete(f"/crm/v3/objects/leads/{lead['id']}")
    archived = _ok(http.get(f"/crm/v3/objects/leads/{lead['id']}", params={"archived": "true"}))
    assert archived["archivedAt"]
    conforms(LEADS, "SimplePublicObjectWithAssociations", archived)


def test_batches_conform(http):
    created = _ok(http.post("/crm/v3/objects/companies/batch/create", json={"inputs": [
        {"properties": {"name": "A", "domain": "a.example"}, "associations": []}]}), 201)
    conforms(OBJECTS, "BatchResponseSimplePublicObject", created)
    cid = created["results"][0]["id"]
    read = _ok(http.post("/crm/v3/objects/companies/batch/read", json={
        "inputs": [{"id": cid}, {"id": "999999"}], "properties": ["name"],
        "propertiesWithHistory": ["name"]}), 207)
    conforms(LEADS, "BatchResponseSimplePublicObjectWithErrors", read)
    updated = _ok(http.post("/crm/v3/objects/companies/batch/update", json={
        "inputs": [{"id": cid, "properties": {"name": "B"}}]}))
    conforms(LEADS, "BatchResponseSimplePublicObject", updated)
    upserted = _ok(http.post("/crm/v3/objects/companies/batch/upsert", json={"inputs": [
        {"id": "a.example", "idProperty": "domain", "properties": {"name": "C"}},
        {"id": "new.example", "idProperty": "domain", "properties": {"name": "N"}}]}))
    assert [r["new"] for r in upserted["results"]] == [False, True]
    conforms(LEADS, "BatchResponseSimplePublicUpsertObject", upserted)


def test_errors_conform(http):
    missing = http.get("/crm/v3/objects/contacts/424242")
    assert missing.status_code == 404
    conforms(OBJECTS, "Error", missing.json())
    invalid = http.post("/crm/v3/objects/contacts", json={"properties": {"nope": "1"}})
    assert invalid.status_code == 400
    conforms(LEADS, "Error", invalid.json())
    conforms(PROPS, "Error", http.get("/crm/v3/properties/contacts/nope").json())


def test_properties_conform(http):
    listed = _ok(http.get("/crm/v3/properties/leads"))
    conforms(PROPS, "CollectionResponsePropertyNoPaging", listed)
    made = _ok(http.post("/crm/v3/properties/leads", json={
        "name": "tier", "label": "Tier", "type": "enumeration", "fieldType": "radio",
        "groupName": "leadinformation",
        "options": [{"label": "Gold", "value": "gold", "hidden": False, "displayOrder": 0}]}), 201)
    conforms(PROPS, "Property", made)
    groups = _ok(http.get("/crm/v3/properties/leads/groups"))
    conforms(PROPS, "CollectionResponsePropertyGroupNoPaging", groups)
    group = _ok(http.post("/crm/v3/properties/leads/groups",
                          json={"name": "extra", "label": "Extra"}), 201)
    conforms(PROPS, "PropertyGroup", group)
    batch = _ok(http.post("/crm/v3/properties/leads/batch/read", json={
        "archived": False, "inputs": [{"name": "tier"}, {"name": "nope"}]}), 207)
    conforms(PROPS, "BatchResponsePropertyWithErrors", batch)

"""Association responses validated against HubSpot's published schemas, and a race.

Every association route's success and error bodies are checked against the
component schemas of crm-associations-v4.json, crm-associations-schema-v4.json
and crm-objects-v3.json.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft7Validator

from leadhub import crm_types as ct
from tests.e2e.test_associations import new_lead, new_object

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIRS = (ROOT / "spec" / "hubspot",)

V4 = "crm-associations-v4.json"
SCHEMA = "crm-associations-schema-v4.json"
OBJECTS = "crm-objects-v3.json"


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


@cache
def _validator(spec: str, schema: str) -> Draft7Validator:
    path = next(d / spec for d in SPEC_DIRS if (d / spec).exists())
    components = _openapi_to_jsonschema(json.loads(path.read_text())["components"])
    return Draft7Validator({"$ref": f"#/components/schemas/{schema}", "components": components})


def conforms(spec: str, schema: str, r: httpx.Response, status: int) -> dict[str, Any]:
    """Assert the status and that the body has every field the published schema requires."""
    assert r.status_code == status, r.text
    body = r.json()
    errors = sorted(_validator(spec, schema).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    return body  # type: ignore[no-any-return]


HS = "HUBSPOT_DEFINED"


def test_v4_basic_and_default_routes_conform(db, portal):
    lead, contact, _ = new_lead(db, portal)
    company = new_object(db, portal, ct.COMPANIES)
    with portal.client() as http:
        r = http.put(f"/crm/v4/objects/leads/{lead}/associations/companies/{company}",
                     json=[{"associationCategory": HS, "associationTypeId": 610}])
        conforms(V4, "LabelsBetweenObjectPair", r, 201)
        r = http.put(f"/crm/v4/objects/contacts/{contact}/associations/default/companies/{company}")
        conforms(V4, "BatchResponsePublicDefaultAssociation", r, 200)
        r = http.get(f"/crm/v4/objects/leads/{lead}/associations/contacts", params={"limit": 1})
        body = conforms(V4, "CollectionResponseMultiAssociatedObjectWithLabelForwardPaging", r, 200)
        assert body["results"][0]["toObjectId"] == contact
        r = http.get(f"/crm/v4/objects/companies/{company}/associations/leads")
        conforms(V4, "CollectionResponseMultiAssociatedObjectWithLabelForwardPaging", r, 200)
        for bad, status in (
            (http.put(f"/crm/v4/objects/leads/{lead}/associations/companies/1234567",
                      json=[{"associationCategory": HS, "associationTypeId": 610}]), 404),
            (http.put(f"/crm/v4/objects/leads/{lead}/associations/companies/{company}",
                      json=[{"associationCategory": HS, "associationTypeId": 1}]), 400),
            (http.delete(f"/crm/v4/objects/leads/9999999/associations/companies/{company}"), 404),
        ):
            conforms(V4, "Error", bad, status)


def test_v4_batch_routes_conform(db, portal):
    lead, contact, _ = new_lead(db, portal)
    company = new_object(db, portal, ct.COMPANIES)
    base = "/crm/v4/associations/leads/companies/batch"
    item = {"from": {"id": lead}, "to": {"id": company},
            "types": [{"associationCategory": HS, "associationTypeId": 610}]}
    missing = {**item, "to": {"id": "5555555"}}
    with portal.client() as http:
        conforms(V4, "BatchResponseLabelsBetweenObjectPair",
                 http.post(f"{base}/create", json={"inputs": [item]}), 201)
        body = conforms(V4, "BatchResponseLabelsBetweenObjectPairWithErrors",
                        http.post(f"{base}/create", json={"inputs": [item, missing]}), 207)
        assert body["numErrors"] == 1
        conforms(V4, "BatchResponsePublicAssociationMultiWithLabel",
                 http.post(f"{base}/read", json={"inputs": [{"id": lead}]}), 200)
        conforms(V4, "BatchResponsePublicAssociationMultiWithLabelWithErrors",
                 http.post(f"{base}/read", json={"inputs": [{"id": lead}, {"id": "1"}]}), 207)
        conforms(V4, "BatchResponsePublicDefaultAssociation",
                 http.post(f"{base}/associate/default",
                           json={"inputs": [{"from": {"id": lead}, "to": {"id": company}}]}), 200)
        conforms(V4, "Error", http.post(f"{base}/read", json={"inputs": 3}), 400)
        conforms(V4, "Error", http.post(f"{base}/create", json={"inputs": [item] * 2001}), 400)
        r = http.post(f"{base}/labels/archive", json={"inputs": [item]})
        assert r.status_code == 204
        r = http.post(f"{base}/archive", json={"inputs": [{"from": {"id": lead},
                                                            "to": [{"id": company}]}]})
        assert r.status_code == 204


def test_label_routes_conform(portal):
    with portal.client() as http:
        for prefix in ("/crm/associations/v4", "/crm/v4/associations"):
            conforms(SCHEMA, "CollectionResponseAssociationSpecWithLabelNoPaging",
                     http.get(f"{prefix}/contacts/companies/labels"), 200)
        made = conforms(
            SCHEMA, "CollectionResponseAssociationSpecWithLabelNoPaging",
            http.post("/crm/associations/v4/contacts/companies/labels",
                      json={"label": "Owner", "name": "owner", "inverseLabel": "Owned"}), 200)
        assert [r["label"] for r in made["results"]] == ["Owner", "Owned"]
        conforms(SCHEMA, "Error",
                 http.post("/crm/associations/v4/contacts/companies/labels",
                           json={"label": "Owner again", "name": "owner"}), 409)
        conforms(SCHEMA, "Error",
                 http.put("/crm/associations/v4/contacts/companies/labels",
                          json={"associationTypeId": 279, "label": "x"}), 400)
        conforms(SCHEMA, "Error",
                 http.delete("/crm/associations/v4/contacts/companies/labels/424242"), 404)



def test_limit_routes_conform(portal):
    base = "/crm/v4/associations/definitions/configurations"
    one = {"category": HS, "typeId": 610, "maxToObjectIds": 3}
    with portal.client() as http:
        conforms(SCHEMA, "BatchResponsePublicAssociationDefinitionUserConfiguration",
                 http.post(f"{base}/leads/companies/batch/create", json={"inputs": [one]}), 201)
        conforms(SCHEMA, "BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors",
                 http.post(f"{base}/leads/companies/batch/create", json={"inputs": [one]}), 207)
        conforms(SCHEMA, "BatchResponsePublicAssociationDefinitionConfigurationUpdateResult",
                 http.post(f"{base}/leads/companies/batch/update", json={"inputs": [one]}), 200)
        for path in (f"{base}/all", f"{base}/leads/companies",
                     "/crm/associations/v4/definitions/configurations/all"):
            collection = "CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging"
            conforms(SCHEMA, collection, http.get(path), 200)
        conforms(SCHEMA, "Error", http.get(f"{base}/leads/widgets"), 400)

def test_v3_routes_conform(db, portal):
    lead, contact, _ = new_lead(db, portal)
    base = f"/crm/v3/objects/leads/{lead}/associations"
    with portal.client() as http:
        company = new_object(db, portal, ct.COMPANIES)
        body = conforms(OBJECTS, "SimplePublicObjectWithAssociations",
                        http.put(f"{base}/companies/{company}/610"), 200)
        assert body["associations"]["companies"]["results"][0]["id"] == company
        conforms(OBJECTS, "CollectionResponseAssociatedId", http.get(f"{base}/contacts"), 200)
        conforms(OBJECTS, "Error", http.put(f"{base}/companies/{company}/578"), 400)
        conforms(OBJECTS, "Error", http.get("/crm/v3/objects/leads/77/associations/contacts"), 404)


def test_concurrent_primary_changes_leave_exactly_one_primary(db, portal):
    """Writers setting a lead's primary contact from both sides at once serialize."""
    lead, first, guid = new_lead(db, portal)
    contacts = [new_object(db, portal, ct.CONTACTS) for _ in range(8)]

    def set_primary(i_contact: tuple[int, str]) -> int:
        i, contact = i_contact
        with portal.client() as http:
            if i % 2:
                r = http.put(f"/crm/v4/objects/contacts/{contact}/associations/leads/{lead}",
                             json=[{"associationCategory": HS, "associationTypeId": 579}])
            else:
                r = http.put(f"/crm/v3/objects/leads/{lead}/associations/contacts/{contact}/578")
            return r.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(set_primary, enumerate(contacts)))
    assert set(statuses) <= {200, 201}, statuses
    with portal.client() as http:
        rows = http.get(f"/crm/v3/objects/leads/{lead}/associations/contacts").json()["results"]
        v1 = http.get(f"/leads/v1/lead/{guid}").json()[0]
    primaries = [r["id"] for r in rows if r["type"] == "lead_to_primary_contact"]
    assert len(primaries) == 1 and primaries[0] in contacts
    # Every contact stays associated; the first one too, now unlabeled.
    assert {r["id"] for r in rows} == {first, *contacts}
    assert v1["isDeleted"] is False

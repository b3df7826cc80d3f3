"""Associations through hubspot-api-client and plain HTTP, against a real server.

Objects are created through the store and the lead service directly, so these
tests depend only on the association faces.
"""

from __future__ import annotations

import uuid

import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    ApiException,
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiArchive,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
)
from hubspot.crm.associations.v4.schema import ApiException as SchemaApiException
from hubspot.crm.associations.v4.schema import (
    PublicAssociationDefinitionCreateRequest,
    PublicAssociationDefinitionUpdateRequest,
)

from leadhub import crm_types as ct
from leadhub.leads import service as lead_service
from leadhub.store import objects as obj_store
from leadhub.store.objects import Change
from leadhub.util import now_ms

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def api(portal) -> HubSpot:
    return HubSpot(access_token=portal.token, host=portal.server.url)


def spec(type_id: int, category: str = "HUBSPOT_DEFINED") -> AssociationSpec:
    return AssociationSpec(association_category=category, association_type_id=type_id)


def new_object(db, portal, object_type: str, **props: str) -> str:
    row = db.write_call(
        obj_store.insert, portal.id, object_type, props, Change(now_ms(), "API")
    )
    return str(row.id)


def new_lead(db, portal, email: str | None = None) -> tuple[str, str, str]:
    """A lead with its primary contact: (lead id, contact id, v1 guid)."""
    email = email or f"{uuid.uuid4().hex[:10]}@example.com"
    view = db.write_call(
        lead_service.create, portal.id, {"email": email, "firstName": "Ada"},
        Change(now_ms(), "API"),
    )
    return str(view.lead.id), str(view.contact.id), view.guid


def types_of(page) -> dict[str, list[int]]:
    return {r.to_object_id: sorted(t.type_id for t in r.association_types) for r in page.results}


def v1_lead(portal, guid: str) -> dict:
    with portal.client() as http:
        r = http.get(f"/leads/v1/lead/{guid}")
    assert r.status_code == 200, r.text
    return r.json()[0]


def error_of(exc: ApiException) -> dict:
    import json

    body = json.loads(exc.body)
    assert {"status", "message", "category", "correlationId"} <= set(body)
    return body


# ---------------------------------------------------------------- labels (schema API)


def test_defined_types_are_listed_in_each_direction(portal):
    defs = api(portal).crm.associations.v4.schema.definitions_api
    forward = {(r.category, r.type_id, r.label) for r in defs.get_all("leads", "contacts").results}
    assert forward == {("HUBSPOT_DEFINED", 578, "Primary"), ("HUBSPOT_DEFINED", 608, None)}
    back = {r.type_id for r in defs.get_all("0-1", "0-136").results}
    assert back == {579, 607}
    assert {r.type_id for r in defs.get_all("contacts", "companies").results} == {1, 279}
    assert {r.type_id for r in defs.get_all("companies", "contacts").results} == {2, 280}
    assert {r.type_id for r in defs.get_all("leads", "companies").results} == {610}


def test_custom_label_lifecycle(db, portal):
    defs = api(portal).crm.associations.v4.schema.definitions_api
    created = defs.create(
        "contacts", "companies",
        public_association_definition_create_request=PublicAssociationDefinitionCreateRequest(
            label="Manager", name="manager", inverse_label="Employer"
        ),
    ).results
    assert [r.category for r in created] == ["USER_DEFINED", "USER_DEFINED"]
    forward, reverse = created[0].type_id, created[1].type_id
    assert forward != reverse and not {forward, reverse} & set(ct.DEFINED_BY_ID)
    listed = {r.type_id: r.label for r in defs.get_all("contacts", "companies").results}
    assert listed[forward] == "Manager"
    assert {r.type_id: r.label for r in defs.get_all("companies", "contacts").results}[
        reverse
    ] == "Employer"

    contact, company = new_object(db, portal, ct.CONTACTS), new_object(db, portal, ct.COMPANIES)
    basic = api(portal).crm.associations.v4.basic_api
    pair = basic.create(
        "contacts", contact, "companies", company, association_spec=[spec(forward, "USER_DEFINED")]
    )
    assert pair.labels == ["Manager"]
    seen_from_company = basic.get_page("companies", company, "contacts")
    assert types_of(seen_from_company) == {contact: sorted([280, reverse])}

    defs.update(
        "contacts", "companies",
        public_association_definition_update_request=PublicAssociationDefinitionUpdateRequest(
            association_type_id=forward, label="Boss", inverse_label="Firm"
        ),
    )
    labels = [
        t.label for t in basic.get_page("contacts", contact, "companies").results[0].association_types
    ]
    assert "Boss" in labels

    defs.remove("contacts", "companies", forward)
    assert forward not in {r.type_id for r in defs.get_all("contacts", "companies").results}
    # The pair stays associated, unlabeled.
    assert types_of(basic.get_page("contacts", contact, "companies")) == {company: [279]}


def test_label_errors(portal):
    defs = api(portal).crm.associations.v4.schema.definitions_api
    with pytest.raises(SchemaApiException) as e:
        defs.create(
            "contacts", "companies",
            public_association_definition_create_request=PublicAssociationDefinitionCreateRequest(
                label="", name="x"
            ),
        )
    assert e.value.status == 400
    with pytest.raises(SchemaApiException) as e:
        defs.remove("leads", "contacts", 578)
    assert e.value.status == 400
    with pytest.raises(SchemaApiException) as e:
        defs.remove("leads", "contacts", 99999)
    assert e.value.status == 404
    assert error_of(e.value)["category"] == "OBJECT_NOT_FOUND"
    with pytest.raises(SchemaApiException) as e:
        defs.get_all("widgets", "contacts")
    assert e.value.status == 400
    assert defs.get_all("leads", "contacts").results  # nothing changed


def test_label_routes_answer_under_both_prefixes(portal, other_portal):
    with portal.client() as http, other_portal.client() as theirs_http:
        _label_routes(portal, http, theirs_http)


def _label_routes(portal, http, theirs_http) -> None:
    made = http.post(
        "/crm/associations/v4/leads/companies/labels",
        json={"label": "Prospect of", "name": "prospect_of"},
    )
    assert made.status_code == 200, made.text
    type_id = made.json()["results"][0]["typeId"]
    for prefix in ("/crm/associations/v4", "/crm/v4/associations"):
        listed = http.get(f"{prefix}/leads/companies/labels").json()["results"]
        assert {"category": "USER_DEFINED", "typeId": type_id, "label": "Prospect of",
                "fromObjectTypeId": "0-136", "toObjectTypeId": "0-2"} in listed
    # Another portal does not see the label.
    theirs = theirs_http.get("/crm/associations/v4/leads/companies/labels").json()
    assert type_id not in {r["typeId"] for r in theirs["results"]}
    r = http.put(
        "/crm/associations/v4/leads/companies/labels",
        json={"associationTypeId": type_id, "label": "Prospect"},
    )
    assert r.status_code == 204
    r = http.delete(f"/crm/associations/v4/leads/companies/labels/{type_id}")
    assert r.status_code == 204
    r = http.delete(f"/crm/associations/v4/leads/companies/labels/{type_id}")
    assert r.status_code == 404
    assert r.json()["category"] == "OBJECT_NOT_FOUND"
    r = http.post("/crm/associations/v4/leads/companies/labels", content=b"{", headers={
        "content-type": "application/json"})
    assert r.status_code == 400
    with portal.server.client() as anonymous:
        r = anonymous.get("/crm/associations/v4/leads/companies/labels")
    assert r.status_code == 401

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
    page = basic.get_page("contacts", contact, "companies")
    labels = [t.label for t in page.results[0].association_types]
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


# ---------------------------------------------------------------- v4 basic


def test_v4_put_get_and_delete_between_lead_and_company(db, portal):
    lead, _contact, guid = new_lead(db, portal)
    company = new_object(db, portal, ct.COMPANIES, name="Acme")
    basic = api(portal).crm.associations.v4.basic_api
    pair = basic.create("leads", lead, "companies", company, association_spec=[spec(610)])
    assert (pair.from_object_type_id, pair.from_object_id) == ("0-136", lead)
    assert (pair.to_object_type_id, pair.to_object_id, pair.labels) == ("0-2", company, [])
    assert types_of(basic.get_page("0-136", lead, "0-2")) == {company: [610]}
    assert types_of(basic.get_page("companies", company, "leads")) == {lead: [609]}
    basic.archive("leads", lead, "companies", company)
    assert basic.get_page("leads", lead, "companies").results == []
    # Removing a non-primary association leaves the lead alone.
    assert v1_lead(portal, guid)["isDeleted"] is False


def test_v4_default_route_creates_the_unlabeled_type_both_ways(db, portal):
    contact, company = new_object(db, portal, ct.CONTACTS), new_object(db, portal, ct.COMPANIES)
    basic = api(portal).crm.associations.v4.basic_api
    made = basic.create_default("contact", contact, "company", company)
    assert made.status == "COMPLETE"
    got = {(r._from.id, r.to.id, r.association_spec.association_type_id) for r in made.results}
    assert got == {(contact, company, 279), (company, contact, 280)}
    assert types_of(basic.get_page("contacts", contact, "companies")) == {company: [279]}


def test_v4_labels_on_put_replace_custom_labels_and_keep_primary(db, portal):
    contact, company = new_object(db, portal, ct.CONTACTS), new_object(db, portal, ct.COMPANIES)
    defs = api(portal).crm.associations.v4.schema.definitions_api
    ids = []
    for name in ("billing", "decision"):
        made = defs.create(
            "contacts", "companies",
            public_association_definition_create_request=PublicAssociationDefinitionCreateRequest(
                label=name.title(), name=name
            ),
        )
        ids.append(made.results[0].type_id)
    basic = api(portal).crm.associations.v4.basic_api
    basic.create("contacts", contact, "companies", company,
                 association_spec=[spec(1), spec(ids[0], "USER_DEFINED")])
    pair = basic.create("contacts", contact, "companies", company,
                        association_spec=[spec(ids[1], "USER_DEFINED")])
    assert pair.labels == ["Primary", "Decision"]
    assert types_of(basic.get_page("contacts", contact, "companies")) == {
        company: sorted([1, 279, ids[1]])
    }


def test_v4_get_pages_through_targets(db, portal):
    lead, _contact, _guid = new_lead(db, portal)
    companies = [new_object(db, portal, ct.COMPANIES) for _ in range(5)]
    basic = api(portal).crm.associations.v4.basic_api
    for company in companies:
        basic.create_default("leads", lead, "companies", company)
    seen, after = [], None
    while True:
        page = basic.get_page("leads", lead, "companies", limit=2, after=after)
        seen += [r.to_object_id for r in page.results]
        if page.paging is None:
            break
        assert "after=" in page.paging.next.link
        after = page.paging.next.after
    assert seen == companies
    with portal.client() as http:
        r = http.get(f"/crm/v4/objects/leads/{lead}/associations/companies", params={"limit": 0})
    assert r.status_code == 400


def test_v4_errors_carry_hubspots_body_and_change_nothing(db, portal, other_portal):
    lead, contact, _guid = new_lead(db, portal)
    theirs = new_object(db, other_portal, ct.COMPANIES)
    basic = api(portal).crm.associations.v4.basic_api
    for target in ("999999999", theirs, "abc"):
        with pytest.raises(ApiException) as e:
            basic.create("leads", lead, "companies", target, association_spec=[spec(610)])
        assert e.value.status == 404
        assert error_of(e.value)["category"] == "OBJECT_NOT_FOUND"
    with pytest.raises(ApiException) as e:  # 279 is contact -> company, not lead -> contact
        basic.create("leads", lead, "contacts", contact, association_spec=[spec(279)])
    assert e.value.status == 400
    assert error_of(e.value)["category"] == "VALIDATION_ERROR"
    with pytest.raises(ApiException) as e:  # right id, wrong category
        basic.create("leads", lead, "contacts", contact,
                     association_spec=[spec(608, "USER_DEFINED")])
    assert e.value.status == 400
    with pytest.raises(ApiException) as e:
        basic.create("widgets", lead, "contacts", contact, association_spec=[spec(608)])
    assert e.value.status == 400
    with pytest.raises(ApiException) as e:
        basic.get_page("leads", "424242424", "contacts")
    assert e.value.status == 404
    assert types_of(basic.get_page("leads", lead, "contacts")) == {contact: [578, 608]}
    assert basic.get_page("leads", lead, "companies").results == []


# ---------------------------------------------------------------- lead rules


def test_a_lead_has_one_primary_contact_and_v1_follows_it(db, portal):
    lead, first, guid = new_lead(db, portal, email="first@example.com")
    second = new_object(db, portal, ct.CONTACTS, email="second@example.com")
    basic = api(portal).crm.associations.v4.basic_api
    # From the contact's side: 579 is "primary contact to lead".
    basic.create("contacts", second, "leads", lead, association_spec=[spec(579)])
    assert types_of(basic.get_page("leads", lead, "contacts")) == {
        first: [608], second: [578, 608]
    }
    assert v1_lead(portal, guid)["email"] == "second@example.com"


def test_removing_the_last_primary_association_archives_the_lead(db, portal):
    lead, contact, guid = new_lead(db, portal)
    basic = api(portal).crm.associations.v4.basic_api
    company = new_object(db, portal, ct.COMPANIES)
    basic.create("leads", lead, "companies", company, association_spec=[spec(610)])
    # Removing only the unlabeled lead -> company type keeps the lead.
    assert v1_lead(portal, guid)["isDeleted"] is False
    basic.archive("leads", lead, "contacts", contact)
    view = v1_lead(portal, guid)
    assert view["isDeleted"] is True
    assert len(view["leadDeleteLogs"]) == 1
    with pytest.raises(ApiException) as e:  # an archived lead is gone for associations
        basic.get_page("leads", lead, "companies")
    assert e.value.status == 404


def test_v3_delete_of_the_primary_type_archives_the_lead(db, portal):
    lead, contact, guid = new_lead(db, portal)
    with portal.client() as http:
        r = http.delete(f"/crm/v3/objects/leads/{lead}/associations/contacts/{contact}/578")
        assert r.status_code == 204
        assert v1_lead(portal, guid)["isDeleted"] is True
        # The pair itself stays associated, unlabeled.
        r = http.get(f"/crm/v3/objects/contacts/{contact}/associations/leads")
        assert r.json()["results"] == []  # the lead is archived, so it is not listed


def test_removing_a_label_keeps_the_lead_when_a_primary_remains(db, portal):
    lead, contact, guid = new_lead(db, portal)
    company = new_object(db, portal, ct.COMPANIES)
    batch = api(portal).crm.associations.v4.batch_api
    batch.create_default(
        "leads", "companies",
        batch_input_public_default_association_multi_post=BatchInputPublicDefaultAssociationMultiPost(
            inputs=[PublicDefaultAssociationMultiPost(
                _from=PublicObjectId(id=lead), to=PublicObjectId(id=company))]
        ),
    )
    batch.archive(
        "leads", "companies",
        batch_input_public_association_multi_archive=BatchInputPublicAssociationMultiArchive(
            inputs=[PublicAssociationMultiArchive(
                _from=PublicObjectId(id=lead), to=[PublicObjectId(id=company)])]
        ),
    )
    assert v1_lead(portal, guid)["isDeleted"] is False
    batch.archive_labels(
        "leads", "contacts",
        batch_input_public_association_multi_post=BatchInputPublicAssociationMultiPost(
            inputs=[PublicAssociationMultiPost(
                _from=PublicObjectId(id=lead), to=PublicObjectId(id=contact), types=[spec(578)])]
        ),
    )
    assert v1_lead(portal, guid)["isDeleted"] is True


# ---------------------------------------------------------------- v4 batch


def test_batch_create_and_read(db, portal):
    lead, contact, _guid = new_lead(db, portal)
    companies = [new_object(db, portal, ct.COMPANIES) for _ in range(2)]
    batch = api(portal).crm.associations.v4.batch_api
    made = batch.create(
        "leads", "companies",
        batch_input_public_association_multi_post=BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=lead), to=PublicObjectId(id=c), types=[spec(610)])
                for c in companies
            ]
        ),
    )
    assert made.status == "COMPLETE"
    assert sorted(r.to_object_id for r in made.results) == companies
    read = batch.get_page(
        "leads", "companies",
        batch_input_public_fetch_associations_batch_request=(
            BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[PublicFetchAssociationsBatchRequest(id=lead)])
        ),
    )
    assert [r._from.id for r in read.results] == [lead]
    assert [t.to_object_id for t in read.results[0].to] == companies
    assert not hasattr(read, "errors") or not read.errors


def test_batch_partial_failures_are_207_with_standard_errors(db, portal):
    lead, contact, _guid = new_lead(db, portal)
    company = new_object(db, portal, ct.COMPANIES)
    batch = api(portal).crm.associations.v4.batch_api
    made = batch.create(
        "leads", "companies",
        batch_input_public_association_multi_post=BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=lead), to=PublicObjectId(id=c), types=[spec(610)])
                for c in (company, "888888888")
            ]
        ),
    )
    assert [r.to_object_id for r in made.results] == [company]
    assert made.num_errors == 1 and made.errors[0].category == "OBJECT_NOT_FOUND"
    read = batch.get_page(
        "companies", "leads",
        batch_input_public_fetch_associations_batch_request=(
            BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[PublicFetchAssociationsBatchRequest(id=company),
                        PublicFetchAssociationsBatchRequest(id=contact)])
        ),
    )
    assert [r._from.id for r in read.results] == [company]
    assert read.num_errors == 1


def test_batch_bad_bodies_are_400_and_write_nothing(db, portal):
    lead, _contact, _guid = new_lead(db, portal)
    company = new_object(db, portal, ct.COMPANIES)
    with portal.client() as http:
        url = "/crm/v4/associations/leads/companies/batch/create"
        good = {"from": {"id": lead}, "to": {"id": company},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 610}]}
        bad = {**good, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                  "associationTypeId": 578}]}
        for body in ({"inputs": [good, bad]}, {"inputs": "x"}, [good],
                     {"inputs": [good] * 2001}):
            r = http.post(url, json=body)
            assert r.status_code == 400, r.text
            assert r.json()["category"] == "VALIDATION_ERROR"
        r = http.get(f"/crm/v4/objects/leads/{lead}/associations/companies")
        assert r.json()["results"] == []


# ---------------------------------------------------------------- v3 routes


def test_v3_put_get_delete_by_id_and_by_name(db, portal, other_portal):
    lead, contact, _guid = new_lead(db, portal)
    company = new_object(db, portal, ct.COMPANIES)
    with portal.client() as http:
        base = f"/crm/v3/objects/leads/{lead}/associations"
        r = http.put(f"{base}/companies/{company}/lead_to_company")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"] == lead and body["archived"] is False
        assert {"createdAt", "updatedAt", "properties"} <= set(body)
        assert body["associations"]["companies"]["results"] == [
            {"id": company, "type": "lead_to_company"}
        ]
        r = http.get(f"{base}/contacts")
        assert r.json() == {"results": [
            {"id": contact, "type": "lead_to_primary_contact"},
            {"id": contact, "type": "lead_to_contact"},
        ]}
        r = http.get(f"/crm/v3/objects/0-2/{company}/associations/0-136")
        assert r.json()["results"] == [{"id": lead, "type": "company_to_lead"}]
        r = http.delete(f"{base}/companies/{company}/610")
        assert r.status_code == 204
        assert http.get(f"{base}/companies").json() == {"results": []}
        for path, status in (
            (f"{base}/companies/{company}/1", 400),
            (f"{base}/companies/{company}/no_such_type", 400),
            (f"{base}/companies/77777777/610", 404),
            (f"/crm/v3/objects/leads/77777777/associations/companies/{company}/610", 404),
            (f"{base}/gadgets/{company}/610", 400),
        ):
            r = http.put(path)
            assert r.status_code == status, (path, r.text)
            assert r.json()["status"] == "error" and r.json()["correlationId"]
        with other_portal.client() as theirs:
            r = theirs.get(f"{base}/contacts")
            assert r.status_code == 404
        assert http.get(f"{base}/companies").json() == {"results": []}


# ---------------------------------------------------------------- limits (configurations)


def test_association_limits_are_configured_and_enforced(db, portal):
    from hubspot.crm.associations.v4.schema import (
        BatchInputPublicAssociationDefinitionConfigurationCreateRequest as CreateBatch,
    )
    from hubspot.crm.associations.v4.schema import (
        BatchInputPublicAssociationDefinitionConfigurationUpdateRequest as UpdateBatch,
    )
    from hubspot.crm.associations.v4.schema import (
        BatchInputPublicAssociationSpec,
        PublicAssociationDefinitionConfigurationCreateRequest,
        PublicAssociationDefinitionConfigurationUpdateRequest,
        PublicAssociationSpec,
    )

    configs = api(portal).crm.associations.v4.schema.definition_configurations_api
    made = configs.batch_create(
        "contacts", "companies",
        batch_input_public_association_definition_configuration_create_request=CreateBatch(
            inputs=[PublicAssociationDefinitionConfigurationCreateRequest(
                category="HUBSPOT_DEFINED", type_id=279, max_to_object_ids=1)]
        ),
    )
    assert [(r.type_id, r.user_enforced_max_to_object_ids) for r in made.results] == [(279, 1)]
    assert [(r.type_id, r.user_enforced_max_to_object_ids) for r in configs.get_all().results] \
        == [(279, 1)]
    pair = configs.get_all_between_two_object_types("contacts", "companies").results
    assert {(r.type_id, r.user_enforced_max_to_object_ids) for r in pair} == {(1, None), (279, 1)}

    contact = new_object(db, portal, ct.CONTACTS)
    first, second = (new_object(db, portal, ct.COMPANIES) for _ in range(2))
    basic = api(portal).crm.associations.v4.basic_api
    basic.create_default("contacts", contact, "companies", first)
    with pytest.raises(ApiException) as e:
        basic.create_default("contacts", contact, "companies", second)
    assert e.value.status == 400
    assert types_of(basic.get_page("contacts", contact, "companies")) == {first: [279]}
    # Creating a limit twice is a per-input error; update raises it.
    again = configs.batch_create(
        "contacts", "companies",
        batch_input_public_association_definition_configuration_create_request=CreateBatch(
            inputs=[PublicAssociationDefinitionConfigurationCreateRequest(
                category="HUBSPOT_DEFINED", type_id=279, max_to_object_ids=5)]
        ),
    )
    assert again.num_errors == 1 and again.results == []
    updated = configs.batch_update(
        "contacts", "companies",
        batch_input_public_association_definition_configuration_update_request=UpdateBatch(
            inputs=[PublicAssociationDefinitionConfigurationUpdateRequest(
                category="HUBSPOT_DEFINED", type_id=279, max_to_object_ids=2)]
        ),
    )
    assert [r.user_enforced_max_to_object_ids for r in updated.results] == [2]
    basic.create_default("contacts", contact, "companies", second)
    configs.batch_remove(
        "contacts", "companies",
        batch_input_public_association_spec=BatchInputPublicAssociationSpec(
            inputs=[PublicAssociationSpec(category="HUBSPOT_DEFINED", type_id=279)]
        ),
    )
    assert configs.get_all().results == []


def test_association_limit_errors_under_the_spec_paths(portal):
    base = "/crm/associations/v4/definitions/configurations"
    with portal.client() as http:
        r = http.post(f"{base}/contacts/companies/batch/create", json={"inputs": [
            {"category": "HUBSPOT_DEFINED", "typeId": 610, "maxToObjectIds": 1},
            {"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 0},
        ]})
        assert r.status_code == 207, r.text
        assert r.json()["numErrors"] == 2 and r.json()["results"] == []
        r = http.post(f"{base}/contacts/companies/batch/purge", json={"inputs": 1})
        assert r.status_code == 400
        r = http.get(f"{base}/leads/leads")
        assert r.status_code == 400
        assert http.get(f"{base}/all").json() == {"results": []}

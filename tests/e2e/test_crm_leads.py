"""crm.objects.leads (basic, batch, search) and the one store behind the v1 and v3 faces."""

from __future__ import annotations

import pytest
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.objects.leads import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from tests.e2e.crm_helpers import ApiError, client, error_of, primary, release_client_sockets
from tests.factories import make_lead

__all__ = ["release_client_sockets"]


def _contact(hs, email: str, **props: str) -> str:
    return hs.crm.contacts.basic_api.create(
        ContactCreate(properties={"email": email, **props})
    ).id


def _lead(hs, contact_id: str, name: str = "A lead", **props: str):
    return hs.crm.objects.leads.basic_api.create(
        SimplePublicObjectInputForCreate(
            properties={"hs_lead_name": name, **props}, associations=primary(contact_id)
        )
    )


def test_create_lead_with_primary_contact(portal):
    hs = client(portal)
    contact_id = _contact(hs, "lee@example.com", firstname="Lee")
    lead = _lead(hs, contact_id, "Lee's lead", hs_lead_type="NEW_BUSINESS")
    assert lead.properties["hs_lead_name"] == "Lee's lead"
    assert lead.properties["hs_pipeline_stage"] == "new-stage-id"
    assert lead.properties["hs_object_id"] == lead.id
    got = hs.crm.objects.leads.basic_api.get_by_id(lead.id, associations=["contacts", "deals"])
    assert set(got.associations) == {"contacts"}
    links = got.associations["contacts"].results
    assert sorted((a.id, a.type) for a in links) == [
        (contact_id, "lead_to_contact"), (contact_id, "lead_to_primary_contact")]
    contact = hs.crm.contacts.basic_api.get_by_id(contact_id, associations=["leads"])
    assert {a.id for a in contact.associations["leads"].results} == {lead.id}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"properties": {}}, "REQUIRED_PROPERTY"),
        ({"properties": {"hs_lead_name": "x"}}, "MISSING_PRIMARY_ASSOCIATION"),
        ({"properties": {"hs_lead_name": "x"}, "associations": "nope"}, "INVALID_ASSOCIATION"),
        ({"properties": {"hs_lead_name": "x"}, "associations": primary("999999")},
         "ASSOCIATION_TARGET_NOT_FOUND"),
        ({"properties": {"hs_lead_name": "x"}, "associations": primary("1", 999) + primary("1")},
         "INVALID_ASSOCIATION_TYPE"),
        ({"properties": {"hs_lead_name": "x", "hs_lead_label": "LUKEWARM"}}, "INVALID_OPTION"),
    ],
)
def test_lead_rules_refuse_and_write_nothing(portal, body, code):
    with portal.client() as http:
        r = http.post("/crm/v3/objects/leads", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["category"] == "VALIDATION_ERROR"
        assert code in r.text
        assert http.get("/crm/v3/objects/leads").json()["results"] == []


def test_lead_with_plain_contact_association_gets_a_primary_one(portal):
    hs = client(portal)
    contact_id = _contact(hs, "plain@example.com")
    lead = hs.crm.objects.leads.basic_api.create(
        SimplePublicObjectInputForCreate(
            properties={"hs_lead_name": "Plain"}, associations=primary(contact_id, 608)
        )
    )
    got = hs.crm.objects.leads.basic_api.get_by_id(lead.id, associations=["contacts"])
    types = sorted(a.type for a in got.associations["contacts"].results)
    assert types == ["lead_to_contact", "lead_to_primary_contact"]


def test_v3_lead_shows_in_v1(portal):
    hs = client(portal)
    contact_id = _contact(hs, "vee@example.com", firstname="Vee", lastname="Three")
    lead = _lead(hs, contact_id, "Vee Three", leadhub_raw_score="5")
    guid = hs.crm.objects.leads.basic_api.get_by_id(
        lead.id, properties=["leadhub_guid"]).properties["leadhub_guid"]
    with portal.client() as http:
        v1 = http.get(f"/leads/v1/lead/{guid}").json()[0]
        assert (v1["email"], v1["firstName"], v1["rawScore"]) == ("vee@example.com", "Vee", 5)
        assert v1["leadId"] == int(lead.id)
        r = http.put(f"/leads/v1/lead/{guid}", json={"guid": guid, "rawScore": 9,
                                                      "firstName": "V"})
        assert r.status_code == 200
    after = hs.crm.objects.leads.basic_api.get_by_id(
        lead.id, properties_with_history=["leadhub_raw_score"])
    history = after.properties_with_history["leadhub_raw_score"]
    assert [h.value for h in history] == ["9", "5"]
    assert history[0].source_id == "leads-v1" and history[1].source_id == "crm-v3"
    contact = hs.crm.contacts.basic_api.get_by_id(contact_id, properties=["firstname"])
    assert contact.properties["firstname"] == "V"
    hs.crm.objects.leads.basic_api.archive(lead.id)
    with portal.client() as http:
        assert http.get(f"/leads/v1/lead/{guid}").json()[0]["isDeleted"] is True


def test_v1_lead_shows_in_v3(db, portal):
    made = make_lead(db, portal.id, email="old@example.com", firstName="Old", rawScore=3)
    hs = client(portal)
    got = hs.crm.objects.leads.basic_api.get_by_id(
        made.guid, id_property="leadhub_guid", associations=["contacts"],
        properties=["hs_lead_name", "leadhub_raw_score"],
        properties_with_history=["leadhub_raw_score"],
    )
    assert got.id == str(made.lead_id)
    assert got.properties["leadhub_raw_score"] == "3"
    assert got.properties_with_history["leadhub_raw_score"][0].source_type == "IMPORT"
    contact_id = got.associations["contacts"].results[0].id
    contact = hs.crm.contacts.basic_api.get_by_id(contact_id)
    assert contact.properties["email"] == "old@example.com"
    hs.crm.objects.leads.basic_api.update(
        got.id, SimplePublicObjectInput(properties={"leadhub_raw_score": "7"}))
    with portal.client() as http:
        assert http.get(f"/leads/v1/lead/{made.guid}").json()[0]["rawScore"] == 7


def test_read_only_v1_property_is_refused(db, portal):
    made = make_lead(db, portal.id)
    hs = client(portal)
    with pytest.raises(ApiError) as info:
        hs.crm.objects.leads.basic_api.update(
            str(made.lead_id), SimplePublicObjectInput(properties={"hs_lead_name": ""}))
    assert error_of(info.value)["errors"][0]["code"] == "REQUIRED_PROPERTY"
    with pytest.raises(ApiError) as info:
        hs.crm.objects.leads.basic_api.update(
            str(made.lead_id),
            SimplePublicObjectInput(properties={"leadhub_num_conversion_events": "4"}),
        )
    assert error_of(info.value)["errors"][0]["code"] == "READ_ONLY_VALUE"


def test_batch_create_read_update_upsert_archive(portal):
    hs = client(portal)
    contact_id = _contact(hs, "batch@example.com")
    batch = hs.crm.objects.leads.batch_api
    created = batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
        SimplePublicObjectBatchInputForCreate(
            properties={"hs_lead_name": f"B{i}"}, associations=primary(contact_id))
        for i in range(3)
    ]))
    assert created.status == "COMPLETE" and len(created.results) == 3
    ids = [r.id for r in created.results]
    read = batch.read(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in [*ids, "424242"]],
        properties=["hs_lead_name"], properties_with_history=[]))
    assert sorted(r.properties["hs_lead_name"] for r in read.results) == ["B0", "B1", "B2"]
    assert read.num_errors == 1 and read.errors[0].context == {"ids": ["424242"]}
    updated = batch.update(BatchInputSimplePublicObjectBatchInput(inputs=[
        SimplePublicObjectBatchInput(id=ids[0], properties={"hs_lead_label": "HOT"}),
        SimplePublicObjectBatchInput(id="424242", properties={"hs_lead_label": "HOT"}),
    ]))
    assert [r.properties["hs_lead_label"] for r in updated.results] == ["HOT"]
    assert updated.errors[0].category == "OBJECT_NOT_FOUND"
    guid = hs.crm.objects.leads.basic_api.get_by_id(
        ids[1], properties=["leadhub_guid"]).properties["leadhub_guid"]
    upserted = batch.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id=guid.upper(), id_property="leadhub_guid",
                                           properties={"hs_lead_name": "B1 again"}),
    ]))
    assert upserted.results[0].new is False and upserted.results[0].id == ids[1]
    batch.archive(BatchInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=ids[2]), SimplePublicObjectId(id="424242")]))
    left = hs.crm.objects.leads.basic_api.get_page(properties=["hs_lead_name"])
    assert {r.properties["hs_lead_name"] for r in left.results} == {"B0", "B1 again"}


def test_batch_limits_and_all_or_nothing(portal):
    hs = client(portal)
    contact_id = _contact(hs, "limits@example.com")
    with portal.client() as http:
        too_many = {"inputs": [{"id": str(i)} for i in range(101)],
                    "properties": [], "propertiesWithHistory": []}
        r = http.post("/crm/v3/objects/leads/batch/read", json=too_many)
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == "TOO_MANY_INPUTS"
        with_history = {"inputs": [{"id": str(i)} for i in range(51)],
                        "properties": [], "propertiesWithHistory": ["hs_lead_name"]}
        r = http.post("/crm/v3/objects/leads/batch/read", json=with_history)
        assert r.status_code == 400
        good = {"properties": {"hs_lead_name": "ok"}, "associations": primary(contact_id)}
        bad = {"properties": {"hs_lead_name": "bad", "nope": "1"},
               "associations": primary(contact_id)}
        r = http.post("/crm/v3/objects/leads/batch/create", json={"inputs": [good, bad]})
        assert r.status_code == 400 and "inputs[1]" in r.json()["message"]
        assert http.get("/crm/v3/objects/leads").json()["results"] == []
        r = http.post("/crm/v3/objects/leads/batch/update", json={"inputs": "x"})
        assert r.status_code == 400


def test_search_leads(portal):
    hs = client(portal)
    contact_id = _contact(hs, "search@example.com")
    for name, label in (("Alpha One", "HOT"), ("Beta Two", "COLD"), ("Gamma Three", "HOT")):
        _lead(hs, contact_id, name, hs_lead_label=label)
    found = hs.crm.objects.leads.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "hs_lead_label", "operator": "EQ",
                                     "value": "HOT"}]}],
        sorts=[{"propertyName": "hs_lead_name", "direction": "DESCENDING"}],
        properties=["hs_lead_name"], limit=1,
    ))
    assert found.total == 2
    assert [r.properties["hs_lead_name"] for r in found.results] == ["Gamma Three"]
    assert found.paging.next.after == "1"
    by_query = hs.crm.objects.leads.search_api.do_search(
        PublicObjectSearchRequest(query="beta", properties=["hs_lead_name"]))
    assert [r.properties["hs_lead_name"] for r in by_query.results] == ["Beta Two"]


def test_search_by_association(portal):
    hs = client(portal)
    first, second = _contact(hs, "one@example.com"), _contact(hs, "two@example.com")
    a, b = _lead(hs, first, "A").id, _lead(hs, second, "B").id
    _contact(hs, "lonely@example.com")

    def leads(*filters):
        found = hs.crm.objects.leads.search_api.do_search(PublicObjectSearchRequest(
            filter_groups=[{"filters": list(filters)}], sorts=["hs_object_id"]))
        return [r.id for r in found.results]

    assert leads({"propertyName": "associations.contact", "operator": "EQ",
                  "value": first}) == [a]
    assert leads({"propertyName": "associations.contacts", "operator": "IN",
                  "values": [first, second]}) == [a, b]
    assert leads({"propertyName": "associations.contact", "operator": "NEQ",
                  "value": first}) == [b]
    with portal.client() as http:
        r = http.post("/crm/v3/objects/contacts/search", json={"filterGroups": [{"filters": [
            {"propertyName": "associations.lead", "operator": "NOT_HAS_PROPERTY"}]}],
            "properties": ["email"]})
        assert [c["properties"]["email"] for c in r.json()["results"]] == ["lonely@example.com"]
        r = http.post("/crm/v3/objects/leads/search", json={"filterGroups": [{"filters": [
            {"propertyName": "associations.deal", "operator": "EQ", "value": "1"}]}]})
        assert r.status_code == 400

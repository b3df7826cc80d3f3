"""crm.properties (core, groups, batch) and writes validated against custom definitions."""

from __future__ import annotations

import pytest
from hubspot.crm.contacts import SimplePublicObjectInput
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.properties import (
    BatchInputPropertyCreate,
    BatchInputPropertyName,
    BatchReadInputPropertyName,
    OptionInput,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyGroupUpdate,
    PropertyName,
    PropertyUpdate,
)

from tests.e2e.crm_helpers import ApiError, client, error_of, release_client_sockets

__all__ = ["release_client_sockets"]


def test_default_properties(portal):
    hs = client(portal)
    leads = {p.name: p for p in hs.crm.properties.core_api.get_all("leads").results}
    for name in ("hs_lead_name", "hs_lead_type", "hs_lead_label", "hs_pipeline",
                 "hs_pipeline_stage", "hs_object_id", "hs_createdate", "hs_lastmodifieddate",
                 "leadhub_raw_score", "leadhub_guid"):
        assert name in leads
    assert leads["hs_lead_type"].type == "enumeration" and leads["hs_lead_type"].options
    assert leads["hs_object_id"].modification_metadata.read_only_value is True
    assert leads["leadhub_raw_score"].group_name == "leadhub_v1"
    assert leads["leadhub_num_conversion_events"].modification_metadata.read_only_value is True
    assert leads["leadhub_guid"].has_unique_value is True
    contacts = {p.name: p for p in hs.crm.properties.core_api.get_all("0-1").results}
    assert contacts["email"].has_unique_value is True
    assert contacts["hs_email_optout"].type == "bool"
    companies = hs.crm.properties.core_api.get_by_name("companies", "domain")
    assert companies.has_unique_value is True
    with pytest.raises(ApiError) as info:
        hs.crm.properties.core_api.get_by_name("contacts", "nope")
    assert info.value.status == 404
    assert error_of(info.value)["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_custom_property_lifecycle_and_validation(portal):
    hs = client(portal)
    core = hs.crm.properties.core_api
    made = core.create("contacts", PropertyCreate(
        name="favorite_color", label="Favorite color", type="enumeration", field_type="select",
        group_name="contactinformation",
        options=[OptionInput(label="Red", value="red", hidden=False, display_order=0),
                 OptionInput(label="Blue", value="blue", hidden=False, display_order=1)],
    ))
    assert made.name == "favorite_color" and made.hubspot_defined is False
    assert made.created_at is not None
    hs.crm.properties.core_api.create("contacts", PropertyCreate(
        name="shoe_size", label="Shoe size", type="number", field_type="number",
        group_name="contactinformation"))
    contact = hs.crm.contacts.basic_api.create(
        ContactCreate(properties={"favorite_color": "red", "shoe_size": "42"}))
    assert contact.properties["favorite_color"] == "red"
    with pytest.raises(ApiError) as info:
        hs.crm.contacts.basic_api.update(
            contact.id, SimplePublicObjectInput(properties={"favorite_color": "green"}))
    assert error_of(info.value)["errors"][0]["code"] == "INVALID_OPTION"
    with pytest.raises(ApiError) as info:
        hs.crm.contacts.basic_api.update(
            contact.id, SimplePublicObjectInput(properties={"shoe_size": "big"}))
    assert error_of(info.value)["errors"][0]["code"] == "INVALID_INTEGER"
    updated = core.update("contacts", "favorite_color", PropertyUpdate(
        label="Colour", options=[OptionInput(label="Red", value="red", hidden=False),
                                 OptionInput(label="Green", value="green", hidden=False)]))
    assert updated.label == "Colour"
    hs.crm.contacts.basic_api.update(
        contact.id, SimplePublicObjectInput(properties={"favorite_color": "green"}))
    core.archive("contacts", "favorite_color")
    with pytest.raises(ApiError):
        core.get_by_name("contacts", "favorite_color")
    archived = core.get_all("contacts", archived=True).results
    assert [p.name for p in archived if p.name == "favorite_color"] == ["favorite_color"]
    with pytest.raises(ApiError) as info:
        hs.crm.contacts.basic_api.update(
            contact.id, SimplePublicObjectInput(properties={"favorite_color": "red"}))
    assert error_of(info.value)["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_custom_unique_property(portal):
    hs = client(portal)
    hs.crm.properties.core_api.create("companies", PropertyCreate(
        name="erp_id", label="ERP id", type="string", field_type="text",
        group_name="companyinformation", has_unique_value=True))
    with portal.client() as http:
        first = http.post("/crm/v3/objects/companies", json={"properties": {"erp_id": "E-1"}})
        assert first.status_code == 201
        r = http.post("/crm/v3/objects/companies", json={"properties": {"erp_id": "e-1"}})
        assert r.status_code == 409 and r.json()["category"] == "CONFLICT"
        got = http.get("/crm/v3/objects/companies/E-1?idProperty=erp_id")
        assert got.json()["id"] == first.json()["id"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "x", "label": "X", "type": "string", "fieldType": "text"}, 400),
        ({"name": "Bad Name", "label": "X", "type": "string", "fieldType": "text",
          "groupName": "contactinformation"}, 400),
        ({"name": "x1", "label": "X", "type": "colour", "fieldType": "text",
          "groupName": "contactinformation"}, 400),
        ({"name": "x2", "label": "X", "type": "number", "fieldType": "select",
          "groupName": "contactinformation"}, 400),
        ({"name": "x3", "label": "X", "type": "enumeration", "fieldType": "select",
          "groupName": "contactinformation"}, 400),
        ({"name": "x4", "label": "X", "type": "string", "fieldType": "text",
          "groupName": "no_group"}, 400),
        ({"name": "email", "label": "X", "type": "string", "fieldType": "text",
          "groupName": "contactinformation"}, 409),
    ],
)
def test_bad_property_definitions(portal, body, status):
    with portal.client() as http:
        r = http.post("/crm/v3/properties/contacts", json=body)
        assert r.status_code == status, r.text
        names = [p["name"] for p in http.get("/crm/v3/properties/contacts").json()["results"]]
        assert names.count(body["name"]) == (1 if body["name"] == "email" else 0)


def test_default_property_options_extend_but_definition_is_read_only(portal):
    hs = client(portal)
    core = hs.crm.properties.core_api
    current = core.get_by_name("leads", "hs_lead_type")
    options = [OptionInput(label=o.label, value=o.value, hidden=False) for o in current.options]
    options.append(OptionInput(label="Partner", value="PARTNER", hidden=False))
    updated = core.update("leads", "hs_lead_type", PropertyUpdate(options=options))
    assert "PARTNER" in [o.value for o in updated.options]
    with pytest.raises(ApiError) as info:
        core.update("leads", "hs_lead_type", PropertyUpdate(type="string", field_type="text"))
    assert info.value.status == 400
    with pytest.raises(ApiError):
        core.archive("leads", "hs_lead_name")


def test_groups_crud(portal):
    hs = client(portal)
    groups = hs.crm.properties.groups_api
    assert "contactinformation" in [g.name for g in groups.get_all("contacts").results]
    made = groups.create("contacts", PropertyGroupCreate(name="billing", label="Billing"))
    assert made.archived is False
    assert groups.get_by_name("contacts", "billing").label == "Billing"
    changed = groups.update("contacts", "billing", PropertyGroupUpdate(label="Billing info",
                                                                       display_order=3))
    assert (changed.label, changed.display_order) == ("Billing info", 3)
    with pytest.raises(ApiError) as info:
        groups.create("contacts", PropertyGroupCreate(name="billing", label="Again"))
    assert info.value.status == 409
    hs.crm.properties.core_api.create("contacts", PropertyCreate(
        name="vat", label="VAT", type="string", field_type="text", group_name="billing"))
    with pytest.raises(ApiError):
        groups.archive("contacts", "billing")
    hs.crm.properties.core_api.archive("contacts", "vat")
    groups.archive("contacts", "billing")
    with pytest.raises(ApiError) as info:
        groups.get_by_name("contacts", "billing")
    assert info.value.status == 404


def test_batch_properties(portal):
    hs = client(portal)
    batch = hs.crm.properties.batch_api
    created = batch.create("companies", BatchInputPropertyCreate(inputs=[
        PropertyCreate(name="tier", label="Tier", type="string", field_type="text",
                       group_name="companyinformation"),
        PropertyCreate(name="name", label="Dup", type="string", field_type="text",
                       group_name="companyinformation"),
    ]))
    assert [p.name for p in created.results] == ["tier"] and created.num_errors == 1
    read = batch.read("companies", BatchReadInputPropertyName(
        archived=False,
        inputs=[PropertyName(name="tier"), PropertyName(name="domain"),
                PropertyName(name="nope")]))
    assert sorted(p.name for p in read.results) == ["domain", "tier"]
    assert read.errors[0].category == "OBJECT_NOT_FOUND"
    batch.archive("companies", BatchInputPropertyName(inputs=[PropertyName(name="tier")]))
    with pytest.raises(ApiError):
        hs.crm.properties.core_api.get_by_name("companies", "tier")


def test_property_type_change_keeps_search_working(portal):
    with portal.client() as http:
        r = http.post("/crm/v3/properties/companies", json={
            "name": "size_text", "label": "Size", "type": "string", "fieldType": "text",
            "groupName": "companyinformation"})
        assert r.status_code == 201
        for value in ("big", "12", "3.5"):
            assert http.post("/crm/v3/objects/companies",
                             json={"properties": {"size_text": value}}).status_code == 201
        r = http.patch("/crm/v3/properties/companies/size_text",
                       json={"type": "number", "fieldType": "number"})
        assert r.status_code == 200
        r = http.post("/crm/v3/objects/companies/search", json={
            "filterGroups": [{"filters": [
                {"propertyName": "size_text", "operator": "GT", "value": "3"}]}],
            "sorts": ["-size_text"], "properties": ["size_text"]})
        assert r.status_code == 200, r.text
        assert [c["properties"]["size_text"] for c in r.json()["results"]] == ["12", "3.5"]

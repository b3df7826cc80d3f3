"""CRM v3 objects for contacts, companies and the generic API, through hubspot-api-client."""

from __future__ import annotations

import pytest
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
from hubspot.crm.contacts import SimplePublicObjectInput
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.objects import SimplePublicObjectInputForCreate as ObjectCreate

from tests.e2e.crm_helpers import ApiError, client, error_of, release_client_sockets

__all__ = ["release_client_sockets"]


def test_contact_crud_roundtrip(portal):
    hs = client(portal)
    created = hs.crm.contacts.basic_api.create(
        ContactCreate(properties={"email": "ann@example.com", "firstname": "Ann"})
    )
    assert created.id.isdigit() and created.archived is False
    assert created.properties["email"] == "ann@example.com"
    assert created.properties["hs_object_id"] == created.id
    assert created.created_at == created.updated_at
    got = hs.crm.contacts.basic_api.get_by_id(created.id, properties=["firstname", "phone"])
    assert got.properties == {"firstname": "Ann", "phone": None}
    updated = hs.crm.contacts.basic_api.update(
        created.id, SimplePublicObjectInput(properties={"lastname": "Lee", "firstname": "Anne"})
    )
    assert updated.properties["lastname"] == "Lee" and updated.properties["firstname"] == "Anne"
    assert updated.updated_at >= created.updated_at
    hs.crm.contacts.basic_api.archive(created.id)
    with pytest.raises(ApiError) as info:
        hs.crm.contacts.basic_api.get_by_id(created.id)
    assert info.value.status == 404
    assert error_of(info.value)["category"] == "OBJECT_NOT_FOUND"
    gone = hs.crm.contacts.basic_api.get_by_id(created.id, archived=True)
    assert gone.archived is True and gone.archived_at is not None


def test_get_by_unique_id_property(portal):
    hs = client(portal)
    created = hs.crm.contacts.basic_api.create(
        ContactCreate(properties={"email": "Bo@Example.com"})
    )
    got = hs.crm.contacts.basic_api.get_by_id("bo@example.com", id_property="email")
    assert got.id == created.id
    patched = hs.crm.contacts.basic_api.update(
        "BO@example.com", SimplePublicObjectInput(properties={"firstname": "Bo"}),
        id_property="email",
    )
    assert patched.id == created.id and patched.properties["firstname"] == "Bo"
    with pytest.raises(ApiError) as info:
        hs.crm.contacts.basic_api.get_by_id("Bo", id_property="firstname")
    assert info.value.status == 400


def test_duplicate_unique_value_conflicts_and_writes_nothing(portal):
    hs = client(portal)
    first = hs.crm.contacts.basic_api.create(ContactCreate(properties={"email": "dup@x.io"}))
    other = hs.crm.contacts.basic_api.create(ContactCreate(properties={"email": "other@x.io"}))
    with pytest.raises(ApiError) as info:
        hs.crm.contacts.basic_api.create(ContactCreate(properties={"email": "DUP@x.io"}))
    body = error_of(info.value)
    assert info.value.status == 409 and body["category"] == "CONFLICT"
    assert first.id in body["message"]
    with pytest.raises(ApiError):
        hs.crm.contacts.basic_api.update(
            other.id, SimplePublicObjectInput(properties={"email": "dup@x.io", "firstname": "X"})
        )
    after = hs.crm.contacts.basic_api.get_by_id(other.id, properties=["email", "firstname"])
    assert after.properties == {"email": "other@x.io", "firstname": None}
    page = hs.crm.contacts.basic_api.get_page(limit=100)
    assert len(page.results) == 2


@pytest.mark.parametrize(
    ("props", "code"),
    [
        ({"no_such_prop": "1"}, "PROPERTY_DOESNT_EXIST"),
        ({"lifecyclestage": "royalty"}, "INVALID_OPTION"),
        ({"hs_analytics_num_visits": "3"}, "READ_ONLY_VALUE"),
        ({"hs_email_optout": "perhaps"}, "INVALID_BOOLEAN"),
        ({"leadhub_first_visit_set_at": "yesterday"}, "INVALID_DATETIME"),
    ],
)
def test_invalid_values_get_hubspot_errors_and_change_nothing(portal, props, code):
    hs = client(portal)
    created = hs.crm.contacts.basic_api.create(ContactCreate(properties={"firstname": "Val"}))
    with pytest.raises(ApiError) as info:
        hs.crm.contacts.basic_api.update(
            created.id, SimplePublicObjectInput(properties={"firstname": "Changed", **props})
        )
    body = error_of(info.value)
    assert info.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert [e["code"] for e in body["errors"]] == [code]
    assert body["message"].startswith("Property values were not valid")
    with pytest.raises(ApiError):
        hs.crm.contacts.basic_api.create(ContactCreate(properties=props))
    again = hs.crm.contacts.basic_api.get_by_id(created.id, properties=["firstname"])
    assert again.properties["firstname"] == "Val"
    assert len(hs.crm.contacts.basic_api.get_page().results) == 1


def test_company_number_validation_and_canonical_values(portal):
    hs = client(portal)
    company = hs.crm.companies.basic_api.create(
        CompanyCreate(properties={"name": "Acme", "domain": "acme.io", "numberofemployees": "12.0"})
    )
    assert company.properties["numberofemployees"] == "12"
    assert company.properties["domain"] == "acme.io"
    with pytest.raises(ApiError) as info:
        hs.crm.companies.basic_api.create(
            CompanyCreate(properties={"name": "Bad", "numberofemployees": "many"})
        )
    assert error_of(info.value)["errors"][0]["code"] == "INVALID_INTEGER"
    with pytest.raises(ApiError) as info:
        hs.crm.companies.basic_api.create(CompanyCreate(properties={"domain": "ACME.io"}))
    assert info.value.status == 409


def test_list_paging_and_archived(portal):
    hs = client(portal)
    ids = [
        hs.crm.companies.basic_api.create(CompanyCreate(properties={"name": f"c{i}"})).id
        for i in range(5)
    ]
    page = hs.crm.companies.basic_api.get_page(limit=2, properties=["name"])
    assert [r.id for r in page.results] == ids[:2]
    assert page.paging.next.after == ids[1]
    assert "/crm/v3/objects/companies?" in page.paging.next.link
    rest = hs.crm.companies.basic_api.get_page(limit=10, after=page.paging.next.after)
    assert [r.id for r in rest.results] == ids[2:]
    assert rest.paging is None
    hs.crm.companies.basic_api.archive(ids[0])
    archived = hs.crm.companies.basic_api.get_page(archived=True)
    assert [r.id for r in archived.results] == [ids[0]]
    live = hs.crm.companies.basic_api.get_page(limit=100)
    assert ids[0] not in [r.id for r in live.results]


def test_array_params_as_comma_lists_and_repeated_keys(portal):
    with portal.client() as http:
        _array_params(http)


def _array_params(http):
    r = http.post("/crm/v3/objects/contacts",
                  json={"properties": {"firstname": "Cy", "lastname": "Ng", "phone": "1"}})
    assert r.status_code == 201
    cid = r.json()["id"]
    comma = http.get(f"/crm/v3/objects/contacts/{cid}?properties=firstname,lastname")
    repeated = http.get(f"/crm/v3/objects/contacts/{cid}?properties=firstname&properties=lastname")
    assert comma.json()["properties"] == repeated.json()["properties"] == {
        "firstname": "Cy", "lastname": "Ng"}
    for spelling in ("TRUE", "true", "True"):
        assert http.get(f"/crm/v3/objects/contacts?archived={spelling}").json()["results"] == []
    r = http.get("/crm/v3/objects/contacts?archived=maybe")
    assert r.status_code == 400 and r.json()["category"] == "VALIDATION_ERROR"
    r = http.get("/crm/v3/objects/contacts?limit=0")
    assert r.status_code == 400


def test_property_history_newest_first(portal):
    hs = client(portal)
    created = hs.crm.contacts.basic_api.create(ContactCreate(properties={"firstname": "One"}))
    for value in ("Two", ""):
        hs.crm.contacts.basic_api.update(
            created.id, SimplePublicObjectInput(properties={"firstname": value})
        )
    got = hs.crm.contacts.basic_api.get_by_id(created.id, properties_with_history=["firstname"])
    history = got.properties_with_history["firstname"]
    assert [h.value for h in history] == ["", "Two", "One"]
    assert all(h.source_type == "API" for h in history)
    assert history[0].timestamp >= history[-1].timestamp
    assert "firstname" not in got.properties or got.properties.get("firstname") is None


def test_generic_objects_api_by_type_id(portal):
    hs = client(portal)
    made = hs.crm.objects.basic_api.create("0-2", ObjectCreate(properties={"name": "Gen"}))
    got = hs.crm.objects.basic_api.get_by_id("companies", made.id, properties=["name"])
    assert got.properties["name"] == "Gen"
    page = hs.crm.objects.basic_api.get_page("0-2")
    assert [r.id for r in page.results] == [made.id]
    with pytest.raises(ApiError) as info:
        hs.crm.objects.basic_api.get_page("tickets")
    assert info.value.status == 400


def test_other_portal_ids_are_unknown(portal, other_portal):
    mine = client(portal).crm.contacts.basic_api.create(
        ContactCreate(properties={"firstname": "M"})
    )
    theirs = client(other_portal)
    with pytest.raises(ApiError) as info:
        theirs.crm.contacts.basic_api.get_by_id(mine.id)
    assert info.value.status == 404
    with pytest.raises(ApiError) as info:
        theirs.crm.contacts.basic_api.update(mine.id, SimplePublicObjectInput(properties={}))
    assert info.value.status == 404
    theirs.crm.contacts.basic_api.archive(mine.id)
    assert client(portal).crm.contacts.basic_api.get_by_id(mine.id).archived is False


def test_missing_token_and_bad_body(portal):
    with portal.server.client() as http:
        r = http.get("/crm/v3/objects/contacts")
    assert r.status_code == 401 and r.json()["category"] == "INVALID_AUTHENTICATION"
    with portal.client() as authed:
        _bad_bodies(authed)


def _bad_bodies(authed):
    r = authed.post("/crm/v3/objects/contacts", content=b"{not json",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["category"] == "VALIDATION_ERROR"
    r = authed.patch("/crm/v3/objects/contacts/abc", json={"properties": {}})
    assert r.status_code == 404

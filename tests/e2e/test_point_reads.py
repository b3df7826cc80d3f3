"""v3 GET by id with the default properties: answered in front of the stack, the same answer.

Such a read is one indexed lookup of the object's row (crm/fastread.py).
Adding a parameter the API does not define (which the ordinary face
ignores) sends the same read the ordinary way, so the two answers must be
byte for byte the same, before and after every kind of change, with the
default properties and with ``archived=false`` or ``properties=`` (which the
fast way answers too).
"""

from __future__ import annotations

import time

import pytest

from leadhub.limits_cli import set_limits

BODIES = {
    "contacts": {"properties": {"email": "point@example.com", "firstname": "Pat",
                                "lastname": "Point", "company": "Acme"}},
    "companies": {"properties": {"name": "Acme", "domain": "acme.example"}},
}
# A property each test changes, asked for by name.
NAMED = {"contacts": "firstname", "companies": "name", "leads": "hs_lead_name"}


# Not a parameter of the API: the ordinary face ignores it, the fast way declines.
ORDINARY = ("ordinary", "1")


def both(c, path: str, params: list | None = None) -> tuple:  # type: ignore[no-untyped-def]
    """(fast, ordinary) answers to the same read."""
    params = params or []
    return c.get(path, params=params), c.get(path, params=[*params, ORDINARY])


def same(c, path: str, status: int = 200, params: list | None = None) -> dict:  # type: ignore[no-untyped-def]
    fast, ordinary = both(c, path, params)
    assert fast.status_code == ordinary.status_code == status, (fast.text, ordinary.text)
    if status == 200:
        assert fast.content == ordinary.content
        assert fast.headers["content-type"] == ordinary.headers["content-type"]
        return fast.json()
    assert fast.json()["category"] == ordinary.json()["category"]
    return fast.json()


def make_lead(c) -> str:  # type: ignore[no-untyped-def]
    contact = c.post("/crm/v3/objects/contacts", json={"properties": {"email": "lp@example.com"}})
    assert contact.status_code == 201, contact.text
    lead = c.post("/crm/v3/objects/leads", json={
        "properties": {"hs_lead_name": "Point lead"},
        "associations": [{"to": {"id": contact.json()["id"]},
                          "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                     "associationTypeId": 578}]}],
    })
    assert lead.status_code == 201, lead.text
    return str(lead.json()["id"])


@pytest.mark.parametrize("kind", ["contacts", "companies", "leads"])
def test_default_get_by_id_is_the_ordinary_answer_through_changes(server, portal, kind):
    with portal.client() as c:
        if kind == "leads":
            oid = make_lead(c)
            change = {"properties": {"hs_lead_name": "Renamed lead"}}
        else:
            made = c.post(f"/crm/v3/objects/{kind}", json=BODIES[kind])
            assert made.status_code == 201, made.text
            oid = made.json()["id"]
            change = {"properties": {"name" if kind == "companies" else "firstname": "Renamed"}}
        path = f"/crm/v3/objects/{kind}/{oid}"
        first = same(c, path)
        assert first["id"] == oid and first["archived"] is False
        assert first["properties"]["hs_object_id"] == oid
        assert same(c, path, params=[("archived", "false")]) == first
        named = same(c, path, params=[("properties", f"{NAMED[kind]},hs_object_id")])
        assert list(named["properties"]) == [NAMED[kind], "hs_object_id"]
        time.sleep(0.01)  # a later updatedAt
        assert c.patch(path, json=change).status_code == 200
        second = same(c, path)
        assert "Renamed" in str(second["properties"]) and second != first
        renamed = same(c, path, params=[("properties", f"{NAMED[kind]},hs_object_id")])
        assert renamed != named and "Renamed" in str(renamed["properties"])
        for spelling in (path.replace(kind, kind.upper()), path + "?hapikey=" + portal.token):
            assert c.get(spelling).json() == second
        assert c.delete(path).status_code == 204
        same(c, path, 404)
        same(c, path, 404, params=[("properties", NAMED[kind])])


def test_reads_that_are_not_plain_default_gets_stay_ordinary(server, portal, other_portal):
    with portal.client() as c:
        oid = c.post("/crm/v3/objects/contacts", json=BODIES["contacts"]).json()["id"]
        path = f"/crm/v3/objects/contacts/{oid}"
        named = c.get(path, params={"properties": "company"}).json()
        assert named["properties"]["company"] == "Acme" and "firstname" not in named["properties"]
        by_email = same(c, "/crm/v3/objects/contacts/point@example.com",
                        params=[("idProperty", "email")])
        assert by_email["id"] == oid
        assert c.get("/crm/v3/objects/contacts/not-a-number").status_code == 404
        assert c.get("/crm/v3/objects/nope/1").status_code == 400
        nul = c.get(f"{path}?access_token=%00")
        assert nul.status_code == 400 and "NUL" in nul.text
    with other_portal.client() as c:
        assert c.get(path).status_code == 404
    with server.client() as c:
        assert c.get(path).status_code == 401
        assert c.get(path, params={"access_token": "nope"}).status_code == 401


def test_default_get_by_id_counts_against_rate_limits(db, server, portal):
    with portal.client() as c:
        oid = c.post("/crm/v3/objects/companies", json=BODIES["companies"]).json()["id"]
        path = f"/crm/v3/objects/companies/{oid}"
        assert not [h for h in c.get(path).headers if h.startswith("x-hubspot-ratelimit")]
    db.write_call(set_limits, portal.id, None, 3)
    time.sleep(2.1)  # the server re-reads a portal's limits every two seconds
    with portal.client() as c:
        left = [c.get(path).headers["x-hubspot-ratelimit-daily-remaining"] for _ in range(3)]
        assert left == ["2", "1", "0"]
        assert c.get(path).status_code == 429


def _define(c, kind: str, name: str) -> None:  # type: ignore[no-untyped-def]
    made = c.post(f"/crm/v3/properties/{kind}", json={
        "name": name, "label": name, "type": "string", "fieldType": "text",
        "groupName": "contactinformation" if kind == "contacts" else "companyinformation",
    })
    assert made.status_code == 201, made.text


def test_reads_by_name_are_the_ordinary_answer(server, portal):
    """The official client's ``properties=[...]`` and ``archived=False``, in every spelling."""
    with portal.client() as c:
        _define(c, "contacts", "favorite_color")
        _define(c, "contacts", "old_prop")
        _define(c, "companies", "company_only")
        oid = c.post("/crm/v3/objects/contacts", json={"properties": {
            "email": "named@example.com", "firstname": "Nam", "favorite_color": "blue",
            "old_prop": "kept",
        }}).json()["id"]
        assert c.delete("/crm/v3/properties/contacts/old_prop").status_code == 204
        path = f"/crm/v3/objects/contacts/{oid}"
        served = {
            "firstname": ["firstname"],
            " email , firstname ,email,": ["email", "firstname"],
            "lastname": ["lastname"],  # unset: shown as null
            "favorite_color,old_prop,company_only,nope": ["favorite_color"],
            "hs_object_id,createdate,lastmodifieddate,hs_createdate": [
                "hs_object_id", "createdate", "lastmodifieddate", "hs_createdate"],
        }
        for asked, shown in served.items():
            answer = same(c, path, params=[("properties", asked)])
            assert list(answer["properties"]) == shown, asked
        assert same(c, path, params=[("properties", "lastname")])["properties"] == {
            "lastname": None}
        repeated = same(c, path, params=[("properties", "firstname"), ("properties", "email")])
        assert list(repeated["properties"]) == ["firstname", "email"]
        default = same(c, path)
        for params in ([("properties", "")], [("properties", " , ")], [("archived", "FALSE")],
                       [("archived", "")], [("archived", "0")]):
            assert same(c, path, params=params) == default, params
        assert same(c, path, params=[("archived", "false"), ("properties", "favorite_color")])[
            "properties"] == {"favorite_color": "blue"}
        # Declined by the fast way, answered the ordinary way, the same both ways.
        same(c, path, 404, params=[("archived", "true")])
        same(c, path, 400, params=[("archived", "nope")])
        history = same(c, path, params=[("propertiesWithHistory", "firstname")])
        assert "propertiesWithHistory" in history
        # A definition archived after a read: the next read leaves the property out.
        assert c.delete("/crm/v3/properties/contacts/favorite_color").status_code == 204
        assert same(c, path, params=[("properties", "favorite_color,email")])[
            "properties"] == {"email": "named@example.com"}


def test_reads_by_a_unique_property_are_the_ordinary_answer(server, portal, other_portal):
    """The official client's get_by_id(email, id_property="email"), and the same for a
    company's domain: HubSpot's own unique-value properties, in every spelling."""
    with portal.client() as c:
        made = c.post("/crm/v3/objects/contacts", json=BODIES["contacts"]).json()
        company = c.post("/crm/v3/objects/companies", json=BODIES["companies"]).json()
        _define(c, "contacts", "code_name")
        spellings = ["point@example.com", "POINT@Example.com", " point@example.com ",
                     "point%40example.com"]
        for key in spellings:
            path = f"/crm/v3/objects/contacts/{key}"
            for params in ([("idProperty", "email")],
                           [("idProperty", "email"), ("properties", "email,code_name,nope")],
                           [("idProperty", "email"), ("archived", "false")]):
                assert same(c, path, params=params)["id"] == made["id"], (key, params)
        assert same(c, "/crm/v3/objects/companies/ACME.example",
                    params=[("idProperty", "domain")])["id"] == company["id"]
        same(c, f"/crm/v3/objects/contacts/{made['id']}", params=[("idProperty", "hs_object_id")])
        same(c, "/crm/v3/objects/contacts/nobody@example.com", 404,
             params=[("idProperty", "email")])
        same(c, "/crm/v3/objects/contacts/point@example.com", 400,
             params=[("idProperty", "firstname")])  # not a unique-value property
        same(c, "/crm/v3/objects/contacts/point@example.com", 400,
             params=[("idProperty", "code_name")])
        assert c.patch(f"/crm/v3/objects/contacts/{made['id']}",
                       json={"properties": {"email": "moved@example.com"}}).status_code == 200
        same(c, "/crm/v3/objects/contacts/point@example.com", 404,
             params=[("idProperty", "email")])
        moved = same(c, "/crm/v3/objects/contacts/moved@example.com",
                     params=[("idProperty", "email")])
        assert moved["properties"]["email"] == "moved@example.com"
        assert c.delete(f"/crm/v3/objects/contacts/{made['id']}").status_code == 204
        same(c, "/crm/v3/objects/contacts/moved@example.com", 404,
             params=[("idProperty", "email")])
    with other_portal.client() as c:
        assert c.get("/crm/v3/objects/companies/acme.example",
                     params={"idProperty": "domain"}).status_code == 404


def test_pages_as_the_official_client_reads_them(server, portal):
    """``basic_api.get_page`` and ``get_all`` of hubspot-api-client against a running
    server: its pages (the point-read lane's) hold what the ordinary face's hold, and a
    walk by ``paging.next`` finds every live object once."""
    from tests.e2e.crm_helpers import client

    with portal.client() as c:
        ids = [c.post("/crm/v3/objects/companies", json={
            "properties": {"name": f"Paged {i}", "domain": f"paged{i}.example"}}).json()["id"]
            for i in range(5)]
        assert c.delete(f"/crm/v3/objects/companies/{ids[2]}").status_code == 204
        # From just before this test's companies (the portal has others of other tests).
        start = str(int(ids[0]) - 1)
        fast = c.get("/crm/v3/objects/companies",
                     params={"limit": "2", "archived": "false", "after": start})
        slow = c.get("/crm/v3/objects/companies",
                     params=[("limit", "2"), ("archived", "false"), ("after", start), ORDINARY])
        assert fast.status_code == slow.status_code == 200
        a, b = fast.json(), slow.json()
        assert a["results"] == b["results"]
        assert a["paging"]["next"]["after"] == b["paging"]["next"]["after"]
        assert a["paging"]["next"]["link"] == b["paging"]["next"]["link"].replace(
            "&ordinary=1", "")
    hub = client(portal)
    page = hub.crm.companies.basic_api.get_page(
        limit=2, after=start, properties=["name"], archived=False)
    assert [o.id for o in page.results] == ids[:2]
    assert page.results[0].properties["name"] == "Paged 0"
    walked = [o for o in hub.crm.companies.get_all(properties=["domain"]) if o.id in ids]
    assert [o.id for o in walked] == [i for i in ids if i != ids[2]]
    assert walked[-1].properties["domain"] == "paged4.example"

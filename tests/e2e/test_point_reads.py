"""v3 GET by id with the default properties: answered in front of the stack, the same answer.

Such a read is one indexed lookup of the object's row (crm/fastread.py).
Adding any parameter (here ``archived=false``, which changes nothing) sends
the same read the ordinary way, so the two answers must be byte for byte
the same, before and after every kind of change.
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


def both(c, path: str) -> tuple:  # type: ignore[no-untyped-def]
    """(fast, ordinary) answers to the same read."""
    return c.get(path), c.get(path, params={"archived": "false"})


def same(c, path: str, status: int = 200) -> dict:  # type: ignore[no-untyped-def]
    fast, ordinary = both(c, path)
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
        time.sleep(0.01)  # a later updatedAt
        assert c.patch(path, json=change).status_code == 200
        second = same(c, path)
        assert "Renamed" in str(second["properties"]) and second != first
        for spelling in (path.replace(kind, kind.upper()), path + "?hapikey=" + portal.token):
            assert c.get(spelling).json() == second
        assert c.delete(path).status_code == 204
        same(c, path, 404)


def test_reads_that_are_not_plain_default_gets_stay_ordinary(server, portal, other_portal):
    with portal.client() as c:
        oid = c.post("/crm/v3/objects/contacts", json=BODIES["contacts"]).json()["id"]
        path = f"/crm/v3/objects/contacts/{oid}"
        named = c.get(path, params={"properties": "company"}).json()
        assert named["properties"]["company"] == "Acme" and "firstname" not in named["properties"]
        by_email = c.get("/crm/v3/objects/contacts/point@example.com",
                         params={"idProperty": "email"})
        assert by_email.json()["id"] == oid
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

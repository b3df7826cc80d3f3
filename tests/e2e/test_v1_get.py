"""GET /leads/v1/lead: by guid, email, conversionEventGuid and userToken, over plain HTTP."""

from __future__ import annotations

from tests.factories import make_lead
from tests.seeds import example_lead


def test_get_by_guid_with_and_without_trailing_slash(db, portal):
    made = make_lead(db, portal.id, firstName="Ada", lastName="Lovelace", company="Engines",
                     conversions=(1_600_000_100_000,))
    with portal.client() as http:
        for path in (f"/leads/v1/lead/{made.guid}", f"/leads/v1/lead/{made.guid}/"):
            r = http.get(path)
            assert r.status_code == 200, r.text
            body = r.json()
            assert isinstance(body, list) and len(body) == 1
            lead = body[0]
            assert lead["guid"] == lead["id"] == made.guid
            assert lead["portalId"] == portal.id
            assert (lead["firstName"], lead["lastName"], lead["company"]) == (
                "Ada", "Lovelace", "Engines"
            )
            assert lead["numConversionEvents"] == 1
            assert lead["leadConversionEvents"][0]["guid"] == made.event_guids[0]
            assert lead["leadJsonLink"] == f"{portal.server.url}/leads/v1/lead/{made.guid}"


def test_every_lead_has_exactly_the_documented_fields(db, portal):
    made = make_lead(db, portal.id)
    expected = example_lead("http://x")
    with portal.client() as http:
        lead = http.get(f"/leads/v1/lead/{made.guid}").json()[0]
    assert set(lead) == set(expected)
    for nested in ("analyticsDetails", "crmDetails"):
        assert set(lead[nested]) == set(expected[nested])
    # Unknown values are v1's empty values, never null.
    assert lead["phone"] == "" and lead["closedAt"] == 0 and lead["isCustomer"] is False
    assert lead["leadConversionEvents"] == [] and lead["leadDeleteLogs"] == []


def test_unknown_guid_and_another_portals_guid_are_both_404(db, portal, other_portal):
    theirs = make_lead(db, other_portal.id)
    with portal.client() as http:
        unknown = http.get("/leads/v1/lead/0123456789abcdef0123456789abcdef")
        foreign = http.get(f"/leads/v1/lead/{theirs.guid}")
    for r in (unknown, foreign):
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/json")
        assert r.json()["status"] == "error"
        assert r.json()["category"] == "OBJECT_NOT_FOUND"
    with other_portal.client() as http:
        assert http.get(f"/leads/v1/lead/{theirs.guid}").status_code == 200


def test_email_lookup_is_case_insensitive_and_returns_the_first_converted(db, portal):
    email = "Grace.Hopper@Example.com"
    later = make_lead(db, portal.id, email=email, conversions=(1_600_000_900_000,))
    first = make_lead(db, portal.id, email=email, conversions=(1_600_000_100_000,))
    never = make_lead(db, portal.id, email=email)
    with portal.client() as http:
        for asked in (email, email.lower(), email.upper(), f"  {email} "):
            r = http.get("/leads/v1/lead/", params={"email": asked})
            assert r.status_code == 200, r.text
            assert r.json()[0]["guid"] == first.guid
        r = http.get("/leads/v1/lead", params={"email": "nobody@example.com"})
        assert r.status_code == 404
    assert later.guid != never.guid


def test_email_lookup_prefers_live_leads_and_finds_a_deleted_one_alone(db, portal):
    email = "solo@example.com"
    first = make_lead(db, portal.id, email=email, conversions=(1_600_000_100_000,))
    second = make_lead(db, portal.id, email=email, conversions=(1_600_000_200_000,))
    with portal.client() as http:
        r = http.put(f"/leads/v1/lead/{first.guid}", json={"guid": first.guid, "isDeleted": True})
        assert r.status_code == 200
        assert http.get("/leads/v1/lead", params={"email": email}).json()[0]["guid"] == second.guid
        r = http.put(f"/leads/v1/lead/{second.guid}", json={"guid": second.guid, "isDeleted": True})
        found = http.get("/leads/v1/lead", params={"email": email}).json()[0]
        assert found["guid"] == first.guid and found["isDeleted"] is True


def test_conversion_event_guid_and_user_token_lookups(db, portal):
    made = make_lead(db, portal.id, userToken="tok-one", conversions=(1_600_000_100_000,))
    make_lead(db, portal.id, userToken="tok-two")
    with portal.client() as http:
        r = http.get("/leads/v1/lead", params={"conversionEventGuid": made.event_guids[0]})
        assert r.status_code == 200 and r.json()[0]["guid"] == made.guid
        r = http.get("/leads/v1/lead/", params={"userToken": "tok-one"})
        assert r.status_code == 200 and r.json()[0]["guid"] == made.guid
        assert http.get("/leads/v1/lead", params={"userToken": "nope"}).status_code == 404
        r = http.get("/leads/v1/lead", params={"conversionEventGuid": "f" * 32})
        assert r.status_code == 404


def test_lookups_never_cross_portals(db, portal, other_portal):
    theirs = make_lead(db, other_portal.id, email="theirs@example.com", userToken="their-tok",
                       conversions=(1_600_000_100_000,))
    with portal.client() as http:
        for params in ({"email": "theirs@example.com"}, {"userToken": "their-tok"},
                       {"conversionEventGuid": theirs.event_guids[0]}):
            r = http.get("/leads/v1/lead", params=params)
            assert r.status_code == 404, params


def test_get_without_guid_or_criteria_is_400(portal):
    with portal.client() as http:
        r = http.get("/leads/v1/lead/")
    assert r.status_code == 400
    assert "email" in r.json()["message"]

"""PUT /leads/v1/lead/:guid over plain HTTP: HubSpot's "Update a Lead" rules."""

from __future__ import annotations

import json

import pytest

from leadhub.leads import fields as F
from tests.factories import make_lead

# A value for every editable top-level field, as v1 renders it back.
EDITS = {
    "firstName": "Katherine", "lastName": "Johnson", "email": "kj@nasa.gov",
    "phone": "555-0100", "fax": "555-0101", "address": "1 Langley Way", "city": "Hampton",
    "state": "Virginia", "zip": "23666", "country": "US", "company": "NASA",
    "jobTitle": "Mathematician", "website": "nasa.gov", "twitterHandle": "@kj",
    "industry": "Aerospace", "salutation": "Dr.", "message": "Orbits", "ipAddress": "10.0.0.1",
    "userToken": "kj-token", "emailOptOut": True, "emailBounced": True,
    "eligibleForEmail": True, "firstURL": "http://nasa.gov/", "firstReferrer": "http://a.b/",
    "firstRefDomain": "a.b", "firstCampaign": "Apollo", "firstVisitSetAt": 1_300_000_000_000,
    "sourceId": 5, "sourceValue1": "newsletter", "sourceValue2": "march", "imported": True,
    "leadNurturingCampaignId": 42, "rawScore": 421, "score": 97.5,
}


def get(http, guid: str) -> dict:  # type: ignore[no-untyped-def]
    r = http.get(f"/leads/v1/lead/{guid}")
    assert r.status_code == 200, r.text
    return r.json()[0]


def test_every_editable_field_is_written(db, portal):
    made = make_lead(db, portal.id)
    assert set(EDITS) == {f.name for f in F.FIELDS if f.editable and f.name != "closedAt"}
    with portal.client() as http:
        before = get(http, made.guid)
        r = http.put(f"/leads/v1/lead/{made.guid}", json={"guid": made.guid, **EDITS})
        assert r.status_code == 200, r.text
        assert r.content == b""
        after = get(http, made.guid)
    for name, value in EDITS.items():
        assert after[name] == value, name
    assert after["lastModifiedAt"] > before["lastModifiedAt"]


def test_the_documents_example_body_closes_the_lead(db, portal):
    made = make_lead(db, portal.id)
    body = {"city": "Cambridge", "state": "Massachusetts", "closedAt": "1323293954000",
            "guid": made.guid}
    with portal.client() as http:
        r = http.put(f"/leads/v1/lead/{made.guid}/", json=body)
        assert r.status_code == 200, r.text
        lead = get(http, made.guid)
    assert (lead["city"], lead["state"]) == ("Cambridge", "Massachusetts")
    assert lead["closedAt"] == 1323293954000
    assert lead["isCustomer"] is True
    assert lead["customerStatusModifiedAt"] >= lead["insertedAt"]
    assert [log["previousState"] for log in lead["leadCustomerStatusModifyLogs"]] == [False]


def test_close_with_a_number_then_reopen_with_empty_string(db, portal):
    made = make_lead(db, portal.id)
    url = f"/leads/v1/lead/{made.guid}"
    with portal.client() as http:
        r = http.put(url, json={"guid": made.guid, "closedAt": 1_400_000_000_000})
        assert r.status_code == 200
        closed = get(http, made.guid)
        assert closed["isCustomer"] is True and closed["closedAt"] == 1_400_000_000_000
        # Closing again at another time is not a status change: no new log entry.
        r = http.put(url, json={"guid": made.guid, "closedAt": 1_400_000_000_500})
        assert r.status_code == 200
        assert len(get(http, made.guid)["leadCustomerStatusModifyLogs"]) == 1
        assert http.put(url, json={"guid": made.guid, "closedAt": ""}).status_code == 200
        reopened = get(http, made.guid)
    assert reopened["isCustomer"] is False and reopened["closedAt"] == 0
    logs = reopened["leadCustomerStatusModifyLogs"]
    assert [log["previousState"] for log in logs] == [False, True]
    assert reopened["customerStatusModifiedAt"] >= closed["customerStatusModifiedAt"]


def test_soft_delete_and_restore(db, portal):
    made = make_lead(db, portal.id)
    url = f"/leads/v1/lead/{made.guid}"
    with portal.client() as http:
        assert http.put(url, json={"guid": made.guid, "isDeleted": True}).status_code == 200
        deleted = get(http, made.guid)  # still readable by guid
        assert deleted["isDeleted"] is True
        assert [log["previousState"] for log in deleted["leadDeleteLogs"]] == [False]
        assert http.get("/leads/v1/list").json() == []
        listed = http.get("/leads/v1/list", params={"includeDeleted": "true"}).json()
        assert [lead["guid"] for lead in listed] == [made.guid]
        assert http.put(url, json={"guid": made.guid, "isDeleted": "false"}).status_code == 200
        restored = get(http, made.guid)
        assert restored["isDeleted"] is False
        assert [log["previousState"] for log in restored["leadDeleteLogs"]] == [False, True]
        assert [lead["guid"] for lead in http.get("/leads/v1/list").json()] == [made.guid]


def test_source_change_updates_found_via_and_its_timestamp(db, portal):
    made = make_lead(db, portal.id, sourceId=2, sourceValue1="hubspot.com")
    with portal.client() as http:
        before = get(http, made.guid)
        assert (before["foundVia"], before["fullFoundViaString"]) == (
            "Referrals", "Referrals - hubspot.com")
        body = {"guid": made.guid, "sourceId": "6", "sourceValue1": "twitter",
                "sourceValue2": "spring"}
        assert http.put(f"/leads/v1/lead/{made.guid}", json=body).status_code == 200
        after = get(http, made.guid)
    assert after["sourceId"] == 6
    assert after["foundVia"] == "Social Media"
    assert after["fullFoundViaString"] == "Social Media - twitter - spring"
    assert after["sourceValueModifiedAt"] > before["sourceValueModifiedAt"]
    assert after["sourceValueModifiedAt"] == after["lastModifiedAt"]


def test_get_modify_put_round_trips_twice(db, portal):
    made = make_lead(db, portal.id, conversions=(1_000,), closedAt=5_000)
    with portal.client() as http:
        lead = get(http, made.guid)
        lead["city"] = "Boston"
        assert http.put(f"/leads/v1/lead/{made.guid}", json=lead).status_code == 200
        # The same copy again, now with a stale lastModifiedAt: still accepted.
        lead["state"] = "MA"
        r = http.put(f"/leads/v1/lead/{made.guid}", json=lead)
        assert r.status_code == 200, r.text
        after = get(http, made.guid)
    assert (after["city"], after["state"]) == ("Boston", "MA")


def test_read_only_fields_consistent_with_the_update_are_accepted(db, portal):
    made = make_lead(db, portal.id, sourceId=1)
    body = {"guid": made.guid, "closedAt": 9_000, "isCustomer": True,
            "sourceId": 4, "foundVia": "Direct Traffic"}
    with portal.client() as http:
        r = http.put(f"/leads/v1/lead/{made.guid}", json=body)
        assert r.status_code == 200, r.text
        assert get(http, made.guid)["foundVia"] == "Direct Traffic"


@pytest.mark.parametrize(
    "changes",
    [
        {"leadId": 1},
        {"isCustomer": True},
        {"numConversionEvents": 7},
        {"lastConvertedAt": 5},
        {"leadNurturingActive": True},
        {"sourceValueModifiedAt": 5},
        {"lastModifiedAt": 5},
        {"lastModifiedAt": 4_102_444_800_000},
        {"portalId": 1},
        {"leadJsonLink": "http://elsewhere/"},
        {"analyticsDetails": {"visitCount": 99}},
        {"crmDetails": {"status": "Closed"}},
        {"leadConversionEvents": []},
        {"foundVia": "Organic Search"},
    ],
)
def test_changed_read_only_field_is_400_naming_it_and_nothing_applies(db, portal, changes):
    made = make_lead(db, portal.id, city="Paris", conversions=(1_000,))
    with portal.client() as http:
        before = get(http, made.guid)
        body = {"guid": made.guid, "city": "Lyon", "rawScore": 12, **changes}
        r = http.put(f"/leads/v1/lead/{made.guid}", json=body)
        assert r.status_code == 400, r.text
        error = r.json()
        for name in changes:
            assert name in error["message"]
            assert name in error["context"]["fields"]
        assert get(http, made.guid) == before


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"shoeSize": 9}, "shoeSize"),
        ({"rawScore": "lots"}, "rawScore"),
        ({"emailBounced": "perhaps"}, "emailBounced"),
        ({"sourceId": 9}, "sourceId"),
        ({"closedAt": "tomorrow"}, "closedAt"),
        ({"closedAt": True}, "closedAt"),
        ({"isDeleted": "gone"}, "isDeleted"),
        ({"firstName": {"a": 1}}, "firstName"),
        ({"score": [1]}, "score"),
    ],
)
def test_bad_values_are_400_and_nothing_applies(db, portal, changes, named):
    made = make_lead(db, portal.id)
    with portal.client() as http:
        before = get(http, made.guid)
        body = {"guid": made.guid, "city": "Lyon", **changes}
        r = http.put(f"/leads/v1/lead/{made.guid}", json=body)
        assert r.status_code == 400, r.text
        assert named in r.json()["message"]
        assert get(http, made.guid) == before


@pytest.mark.parametrize(
    "headers_and_body",
    [
        ({"Content-Type": "application/x-www-form-urlencoded"}, "city=Lyon&guid={guid}"),
        ({"Content-Type": "application/www-form-encoded"}, "city=Lyon&guid={guid}"),
        ({"Content-Type": "text/plain"}, '{{"guid": "{guid}", "city": "Lyon"}}'),
        ({}, '{{"guid": "{guid}", "city": "Lyon"}}'),
    ],
)
def test_non_json_body_is_415_and_nothing_applies(db, portal, headers_and_body):
    headers, body = headers_and_body
    made = make_lead(db, portal.id)
    with portal.client() as http:
        before = get(http, made.guid)
        r = http.put(f"/leads/v1/lead/{made.guid}", headers=headers,
                     content=body.format(guid=made.guid).encode())
        assert r.status_code == 415, r.text
        assert r.json()["status"] == "error"
        assert get(http, made.guid) == before


@pytest.mark.parametrize(
    "body",
    [
        {"city": "Lyon"},
        {"city": "Lyon", "guid": "0" * 32},
        {"city": "Lyon", "guid": 12},
    ],
)
def test_body_guid_missing_or_different_is_400(db, portal, body):
    made = make_lead(db, portal.id)
    with portal.client() as http:
        before = get(http, made.guid)
        r = http.put(f"/leads/v1/lead/{made.guid}", json=body)
        assert r.status_code == 400
        assert "guid" in r.json()["message"]
        assert get(http, made.guid) == before


def test_malformed_json_and_non_object_bodies_are_400(db, portal):
    made = make_lead(db, portal.id)
    with portal.client() as http:
        for raw in (b"{not json", json.dumps([{"guid": made.guid}]).encode(), b"null"):
            r = http.put(f"/leads/v1/lead/{made.guid}", content=raw,
                         headers={"Content-Type": "application/json"})
            assert r.status_code == 400, raw


def test_guid_in_body_is_matched_case_insensitively(db, portal):
    made = make_lead(db, portal.id)
    with portal.client() as http:
        r = http.put(f"/leads/v1/lead/{made.guid}",
                     json={"guid": made.guid.upper(), "city": "Oslo"})
        assert r.status_code == 200
        assert get(http, made.guid)["city"] == "Oslo"


def test_unknown_and_foreign_guids_are_404_and_change_nothing(db, portal, other_portal):
    theirs = make_lead(db, other_portal.id, city="Rome")
    unknown = "0123456789abcdef0123456789abcdef"
    with portal.client() as http:
        r = http.put(f"/leads/v1/lead/{unknown}", json={"guid": unknown, "city": "Lyon"})
        assert r.status_code == 404
        r = http.put(f"/leads/v1/lead/{theirs.guid}",
                     json={"guid": theirs.guid, "city": "Lyon", "isDeleted": True})
        assert r.status_code == 404
        assert r.json()["category"] == "OBJECT_NOT_FOUND"
    with other_portal.client() as http:
        lead = get(http, theirs.guid)
    assert lead["city"] == "Rome" and lead["isDeleted"] is False


def test_email_taken_by_another_contact_is_409_and_nothing_applies(db, portal):
    make_lead(db, portal.id, email="taken@example.com")
    made = make_lead(db, portal.id, email="mine@example.com")
    with portal.client() as http:
        before = get(http, made.guid)
        r = http.put(f"/leads/v1/lead/{made.guid}",
                     json={"guid": made.guid, "city": "Lyon", "email": "TAKEN@example.com"})
        assert r.status_code == 409, r.text
        assert get(http, made.guid) == before
        # Changing only the case of its own email is fine.
        r = http.put(f"/leads/v1/lead/{made.guid}",
                     json={"guid": made.guid, "email": "Mine@Example.com"})
        assert r.status_code == 200
        assert http.get("/leads/v1/lead", params={"email": "mine@example.com"}).status_code == 200


def test_no_op_put_keeps_last_modified_and_a_change_moves_it(db, portal):
    made = make_lead(db, portal.id, city="Oslo")
    with portal.client() as http:
        before = get(http, made.guid)
        assert http.put(f"/leads/v1/lead/{made.guid}",
                        json={"guid": made.guid, "city": "Oslo"}).status_code == 200
        assert get(http, made.guid)["lastModifiedAt"] == before["lastModifiedAt"]
        for body in ({"rawScore": 3}, {"city": "Bergen"}, {"isDeleted": True}, {"closedAt": 4}):
            fresh = make_lead(db, portal.id)  # made in 2020: any change moves the stamp
            last = get(http, fresh.guid)["lastModifiedAt"]
            r = http.put(f"/leads/v1/lead/{fresh.guid}", json={"guid": fresh.guid, **body})
            assert r.status_code == 200
            assert get(http, fresh.guid)["lastModifiedAt"] > last, body

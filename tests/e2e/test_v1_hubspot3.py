"""The legacy hubspot3 LeadsClient, unchanged, pointed at a real leadhub server."""

from __future__ import annotations

import time

import pytest
from hubspot3.error import HubspotBadRequest, HubspotUnauthorized
from hubspot3.leads import LeadsClient

from tests.factories import make_lead, make_leads


@pytest.fixture
def client(portal) -> LeadsClient:  # type: ignore[no-untyped-def]
    # hubspot3 splits "http://127.0.0.1:port" into protocol "http" and host "127.0.0.1:port".
    return LeadsClient(access_token=portal.token, api_base=portal.server.url)


def guids(leads: list[dict]) -> list[str]:
    return [lead["guid"] for lead in leads]


def test_get_lead_and_get_leads_by_guid(db, portal, client):
    a = make_lead(db, portal.id, firstName="Ada")
    b = make_lead(db, portal.id, firstName="Bea")
    lead = client.get_lead(a.guid)
    assert lead["guid"] == a.guid and lead["firstName"] == "Ada"
    assert set(guids(client.get_leads(a.guid, b.guid))) == {a.guid, b.guid}


def test_get_leads_search_sort_dir_max_offset(db, portal, client):
    made = [
        make_lead(db, portal.id, firstName=name, lastName="Smith", inserted_at=1_000 + i)
        for i, name in enumerate(["carol", "Alice", "bob"])
    ]
    make_lead(db, portal.id, firstName="Zed", lastName="Jones")
    found = client.get_leads(search="smith", sort="first_name", dir="asc")
    assert [lead["firstName"] for lead in found] == ["Alice", "bob", "carol"]
    found = client.get_leads(search="SMITH", sort="firstName", dir="desc", max=2, offset=1)
    assert [lead["firstName"] for lead in found] == ["bob", "Alice"]
    found = client.get_leads(search="smith", sort="inserted_at", dir="asc")
    assert guids(found) == [m.guid for m in made]
    assert len(client.get_leads()) == 4


def test_get_leads_conversion_date_sorts_and_time_pivots(db, portal, client):
    a = make_lead(db, portal.id, inserted_at=1_000, conversions=(5_000, 6_000))
    b = make_lead(db, portal.id, inserted_at=2_000, conversions=(3_000, 9_000))
    assert guids(client.get_leads(sort="fce.convertDate", dir="asc")) == [b.guid, a.guid]
    assert guids(client.get_leads(sort="lce.convertDate", dir="asc")) == [a.guid, b.guid]
    assert guids(client.get_leads(start_time=1_500, time_pivot="inserted_at")) == [b.guid]
    assert guids(client.get_leads(stop_time=4_000, time_pivot="first_converted_at")) == [b.guid]
    assert guids(client.get_leads(start_time=7_000, time_pivot="lastConvertedAt")) == [b.guid]
    assert guids(client.get_leads(stop_time=7_000, time_pivot="last_modified_at")) == [a.guid]
    assert guids(client.get_leads(start_time=1, time_pivot="closed_at")) == []


def test_get_leads_boolean_options(db, portal, client):
    plain = make_lead(db, portal.id, conversions=(1_000,))
    opted = make_lead(db, portal.id, emailOptOut=True)
    eligible = make_lead(db, portal.id, eligibleForEmail=True)
    bounced = make_lead(db, portal.id, emailBounced=True)
    imported = make_lead(db, portal.id, imported=True)
    everyone = {plain.guid, opted.guid, eligible.guid, bounced.guid, imported.guid}
    assert guids(client.get_leads(email_opt_out=True)) == [opted.guid]
    assert guids(client.get_leads(eligible_for_email=True)) == [eligible.guid]
    assert guids(client.get_leads(bounced=True)) == [bounced.guid]
    assert set(guids(client.get_leads(is_not_imported=True))) == everyone - {imported.guid}
    assert set(guids(client.get_leads(email_opt_out=False, bounced=False))) == everyone
    slim = client.get_leads(plain.guid, exclude_conversion_events=True)[0]
    assert slim["leadConversionEvents"] == [] and slim["numConversionEvents"] == 1
    assert len(client.get_lead(plain.guid)["leadConversionEvents"]) == 1


def test_get_leads_with_more_than_100_guids_is_rejected(db, portal, client):
    made = make_leads(db, portal.id, 3)
    with pytest.raises(HubspotBadRequest) as caught:
        client.get_leads(*(made * 34))
    assert caught.value.result.status == 413


def test_bad_option_is_a_bad_request(client):
    with pytest.raises(HubspotBadRequest) as caught:
        client.get_leads(sort="shoeSize")
    assert caught.value.result.status == 400


def test_retrieve_lead_by_guid_and_by_email(db, portal, client):
    made = make_lead(db, portal.id, email="Ret@Example.com")
    assert guids(client.retrieve_lead(made.guid)) == [made.guid]
    assert guids(client.retrieve_lead(email="ret@example.com")) == [made.guid]
    assert client.retrieve_lead("0" * 32) == {"guid": "-1"}
    assert client.retrieve_lead(email="nobody@example.com") == {"guid": "-1"}


def test_update_lead(db, portal, client):
    made = make_lead(db, portal.id)
    client.update_lead(made.guid, {"city": "Cambridge", "state": "Massachusetts", "sourceId": 3})
    lead = client.get_lead(made.guid)
    assert (lead["city"], lead["state"], lead["foundVia"]) == (
        "Cambridge", "Massachusetts", "Paid Search")
    lead["jobTitle"] = "CTO"
    client.update_lead(made.guid, lead)  # the whole lead back, one field changed
    assert client.get_lead(made.guid)["jobTitle"] == "CTO"
    with pytest.raises(HubspotBadRequest) as caught:
        client.update_lead(made.guid, {"leadId": 1, "city": "Paris"})
    assert caught.value.result.status == 400
    assert client.get_lead(made.guid)["city"] == "Cambridge"


def test_close_lead_and_open_lead(db, portal, client):
    made = make_lead(db, portal.id)
    client.close_lead(made.guid, 1_500_000_000_000)
    lead = client.get_lead(made.guid)
    assert lead["isCustomer"] is True and lead["closedAt"] == 1_500_000_000_000
    client.open_lead(made.guid)
    lead = client.get_lead(made.guid)
    assert lead["isCustomer"] is False and lead["closedAt"] == 0
    before = int(time.time() * 1000)
    client.close_lead(made.guid)  # closes now
    lead = client.get_lead(made.guid)
    assert lead["isCustomer"] is True and lead["closedAt"] >= before
    assert [log["previousState"] for log in lead["leadCustomerStatusModifyLogs"]] == [
        False, True, False]


def test_other_portal_sees_nothing(db, portal, other_portal, client):
    theirs = make_lead(db, other_portal.id, email="theirs@example.com")
    assert client.get_leads() == []
    assert client.get_leads(theirs.guid) == []
    assert client.retrieve_lead(theirs.guid) == {"guid": "-1"}
    assert client.retrieve_lead(email="theirs@example.com") == {"guid": "-1"}
    with pytest.raises(Exception) as caught:
        client.update_lead(theirs.guid, {"city": "Paris"})
    assert caught.value.result.status == 404


def test_unknown_token_is_unauthorized(portal):
    client = LeadsClient(access_token="not-a-token", api_base=portal.server.url)
    with pytest.raises(HubspotUnauthorized):
        client.get_leads()


def test_get_lead_leaves_a_deleted_lead_out(db, portal, client):
    """hubspot3's get_lead lists one guid, which leaves a deleted lead out (its stored
    document says so: each read twice, the second from the document), while a read by
    guid still finds it; undeleted, get_lead finds it again."""
    made = make_lead(db, portal.id, firstName="Gone")
    assert client.get_lead(made.guid)["firstName"] == "Gone"
    client.update_lead(made.guid, {"isDeleted": True})
    for _ in range(2):
        assert client.get_leads(made.guid) == []
        # A read by guid answers an array of one lead, as the seed documents it.
        assert client.retrieve_lead(made.guid)[0]["isDeleted"] is True
    client.update_lead(made.guid, {"isDeleted": False})
    for _ in range(2):
        assert client.get_lead(made.guid)["isDeleted"] is False

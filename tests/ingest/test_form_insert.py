"""The form-post insert end to end: posts as the documents send them, read back through v1."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from hubspot3.leads import LeadsClient

from leadhub import crm_types as ct
from leadhub.ingest import service
from leadhub.leads import service as lead_service
from leadhub.store import objects as obj_store
from tests.ingest.helpers import (
    make_form,
    php_body,
    post_like_python_example,
    submission_guid,
    wait_for_lead,
)

FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}


def test_python_example_post_becomes_a_lead(db, portal):
    url = make_form(db, portal, "test")
    data = dict(
        IPAddress="127.0.0.1",
        UserToken="1d6a7ac882f84764876cd998b26f12e1",
        FirstName="Adrian",
        LastName="Mott",
        Email="adrian@example.com",
    )
    code, text = post_like_python_example(url, data)
    assert code == 200
    guid = submission_guid(text)
    with portal.client() as client:
        lead = wait_for_lead(client, guid)
        assert (lead["firstName"], lead["lastName"]) == ("Adrian", "Mott")
        assert lead["email"] == data["Email"]
        assert lead["ipAddress"] == "127.0.0.1"
        assert lead["userToken"] == data["UserToken"]
        assert lead["analyticsDetails"]["userToken"] == data["UserToken"]
        assert len(lead["guid"]) == 32 and lead["leadId"] > 0 and lead["insertedAt"] > 0
        assert lead["numConversionEvents"] == 1
        [event] = lead["leadConversionEvents"]
        assert event["guid"] == guid and event["formName"] == "test"
        assert event["convertDate"] == lead["lastConvertedAt"]
        by_name = {v["fieldName"]: v for v in event["formSubmissionValues"]}
        assert set(by_name) == set(data)
        assert by_name["FirstName"]["fieldValue"] == "Adrian"
        assert by_name["FirstName"]["fieldLabel"] == "First Name"
        assert all(v["conversionGuid"] == guid for v in by_name.values())
        assert all(v["leadGuid"] == lead["guid"] for v in by_name.values())
        # Found by email, by user token, and in lists.
        for params in ({"email": "ADRIAN@example.com "}, {"userToken": data["UserToken"]}):
            r = client.get("/leads/v1/lead/", params=params)
            assert r.status_code == 200 and r.json()[0]["guid"] == lead["guid"]
        listed = client.get("/leads/v1/list/", params={"search": "adrian"}).json()
        assert [x["guid"] for x in listed] == [lead["guid"]]
    # And through hubspot3, as an integration would read it.
    leads = LeadsClient(access_token=portal.token, api_base=portal.server.url)
    assert leads.get_lead(lead["guid"])["email"] == "adrian@example.com"


def test_php_example_post_with_every_field(db, portal):
    url = make_form(db, portal)
    fields = {
        "FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com",
        "TwitterHandle": "@ada", "Phone": "555-1", "Fax": "", "Website": "http://ada.example",
        "Company": "Engines Ltd", "JobTitle": "Analyst", "Address": "1 St", "City": "London",
        "State": "", "ZipCode": "N1", "Country": "UK", "Message": "Hello",
        "NumberEmployees": "123", "AnnualRevenue": "1234.56", "CloseDate": "06/05/2010",
        "IPAddress": "10.0.0.1", "UserToken": "php-utk",
    }
    body = php_body(fields) + "&FavoriteColor=green"
    r = httpx.post(url, content=body, headers=FORM_TYPE)
    assert r.status_code == 200, r.text
    guid = submission_guid(r.text)
    with portal.client() as client:
        lead = wait_for_lead(client, guid)
    assert (lead["company"], lead["zip"], lead["twitterHandle"]) == ("Engines Ltd", "N1", "@ada")
    assert lead["crmDetails"]["numEmployees"] == 123
    assert lead["crmDetails"]["annualRevenue"] == 1234.56
    assert lead["isCustomer"] is True
    assert lead["closedAt"] == 1275696000000  # 2010-06-05T00:00:00Z
    assert [log["previousState"] for log in lead["leadCustomerStatusModifyLogs"]] == [False]
    [event] = lead["leadConversionEvents"]
    values = {
        v["fieldName"]: (v["fieldValue"], v["fieldLabel"]) for v in event["formSubmissionValues"]
    }
    submitted = {k: v for k, v in fields.items() if v}
    assert set(values) == set(submitted) | {"FavoriteColor"}
    assert values["FavoriteColor"] == ("green", "FavoriteColor")
    assert values["CloseDate"] == ("06/05/2010", "Close Date")
    assert len({v["id"] for v in event["formSubmissionValues"]}) == len(values)


def test_field_names_are_case_insensitive_and_one_person_is_one_lead(db, portal):
    url = make_form(db, portal)
    first = httpx.post(url, data={"Email": "Case@Example.com", "FirstName": "Old",
                                  "IPAddress": "1.1.1.1", "UserToken": "t-case"})
    second = httpx.post(url, data={"email": " case@example.COM ", "firstname": "New",
                                   "ipaddress": "2.2.2.2", "usertoken": "t-case",
                                   "pageUrl": "http://site.example/contact", "PageName": "Contact"})
    with portal.client() as client:
        one = wait_for_lead(client, submission_guid(first.text))
        two = wait_for_lead(client, submission_guid(second.text))
    assert one["guid"] == two["guid"]
    assert two["firstName"] == "New" and two["ipAddress"] == "2.2.2.2"
    assert two["numConversionEvents"] == 2
    assert two["lastConvertedAt"] >= two["leadConversionEvents"][0]["convertDate"]
    latest = max(two["leadConversionEvents"], key=lambda e: e["convertDate"])
    assert latest["pageUrl"] == "http://site.example/contact" and latest["pageName"] == "Contact"


def test_without_email_the_user_token_is_the_person(db, portal):
    url = make_form(db, portal)
    guids = [
        submission_guid(httpx.post(url, data={"IPAddress": "1.1.1.1", "UserToken": "anon-1",
                                              "Message": f"visit {i}"}).text)
        for i in range(3)
    ]
    with portal.client() as client:
        leads = {wait_for_lead(client, g)["guid"] for g in guids}
        assert len(leads) == 1
        # The anonymous visitor then gives an email: still the same person.
        named = httpx.post(url, data={"IPAddress": "1.1.1.1", "UserToken": "anon-1",
                                      "Email": "anon@example.com"})
        lead = wait_for_lead(client, submission_guid(named.text))
    assert lead["guid"] in leads
    assert lead["email"] == "anon@example.com" and lead["numConversionEvents"] == 4


def test_concurrent_posts_for_one_email_make_one_lead(db, portal):
    url = make_form(db, portal)
    n = 40

    start = threading.Barrier(n)

    def post(i: int) -> str:
        email = ["dup@example.com", "DUP@example.com", " dup@Example.com "][i % 3]
        start.wait()
        r = http.post(url, data={"Email": email, "IPAddress": "1.1.1.1",
                                 "UserToken": f"utk-{i}", "FirstName": f"N{i}"})
        assert r.status_code == 200, r.text
        return submission_guid(r.text)

    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(n) as pool:
        guids = list(pool.map(post, range(n)))
    with portal.client() as client:
        leads = {g: wait_for_lead(client, g) for g in guids}
        assert len({lead["guid"] for lead in leads.values()}) == 1
        lead = client.get("/leads/v1/lead/", params={"email": "dup@example.com"}).json()[0]
        assert lead["numConversionEvents"] == n
        assert sorted(e["guid"] for e in lead["leadConversionEvents"]) == sorted(guids)
        assert len(client.get("/leads/v1/list/", params={"max": 100}).json()) == 1


def test_bad_posts_get_clear_errors_and_change_nothing(db, portal):
    url = make_form(db, portal)
    good = {"Email": "bad@example.com", "IPAddress": "1.1.1.1", "UserToken": "u"}
    cases = [
        (httpx.post(url, json=good), 415, "application/x-www-form-urlencoded"),
        (httpx.post(url, content="Email=a%40b.c&IPAddress=1", headers=FORM_TYPE), 400, "UserToken"),
        (httpx.post(url, data={"Email": "x@y.z"}), 400, "UserToken is required; IPAddress"),
        (httpx.post(url, data={**good, "UserToken": "  "}), 400, "UserToken"),
        (httpx.post(url, data={**good, "NumberEmployees": "12.5"}), 400, "NumberEmployees"),
        (httpx.post(url, data={**good, "AnnualRevenue": "lots"}), 400, "AnnualRevenue"),
        (httpx.post(url, data={**good, "CloseDate": "2010-06-05"}), 400, "CloseDate"),
        (httpx.post(url, data={**good, "closedate": "13/45/2010"}), 400, "closedate"),
        (httpx.post(url.replace("demorequest", "unknown"), data=good), 404, "not configured"),
        (httpx.post(url.replace("app=leaddirector", "app=other"), data=good), 404, "leaddirector"),
        (httpx.post(url.replace("FormName=demorequest", "FormName="), data=good), 400, "FormName"),
        (httpx.post(url.replace(f"portalId={portal.id}", "portalId=999999"), data=good), 404,
         "portal 999999"),
        (httpx.post(url.replace(f"portalId={portal.id}", "portalId=9" * 30), data=good), 400,
         "portalId"),
        (httpx.post(url, data={**good, "Message": "a\x00b"}), 400, "NUL"),
        (httpx.post(url, data={**good, "Company": "x" * 70_000}), 400, "Company is longer"),
        (httpx.post(url, data={**good, "Email": "e" * 1200 + "@x.com"}), 400, "Email is longer"),
        (httpx.post(url, data={**good, "NumberEmployees": "9" * 30}), 400, "too large"),
        (httpx.post(url, data={**good, "AnnualRevenue": "1e999"}), 400, "AnnualRevenue"),
        (httpx.post(url, data={**good, "CloseDate": "02/30/2020"}), 400, "CloseDate"),
        # A NUL in the URL is refused before any face, in the form face's own text format.
        (httpx.post(url.replace("FormName=", "FormName=a%00"), data=good), 400, "Error: "),
    ]
    for response, status, mention in cases:
        assert response.status_code == status, response.text
        assert mention in response.text, response.text
        assert response.headers["content-type"].startswith("text/plain")
    status = db.read_call(service.queue_status, portal.id)
    assert sum(status.submissions.values()) == 0
    with portal.client() as client:
        assert client.get("/leads/v1/list/").json() == []
        assert client.get("/leads/v1/lead/", params={"email": "bad@example.com"}).status_code == 404


def test_form_writes_are_recorded_with_source_form(db, portal):
    url = make_form(db, portal)
    r = httpx.post(url, data={"Email": "hist@example.com", "FirstName": "Hist",
                              "IPAddress": "1.1.1.1", "UserToken": "h"})
    with portal.client() as client:
        lead = wait_for_lead(client, submission_guid(r.text))
    view = db.read_call(lead_service.get, portal.id, lead["guid"])
    assert view.contact is not None
    history = db.read_call(obj_store.history, portal.id, view.contact.id, ["firstname"])
    assert [(h["value"], h["sourceType"]) for h in history["firstname"]] == [("Hist", "FORM")]
    assert view.contact.object_type == ct.CONTACTS


def test_unknown_form_names_can_be_accepted_per_portal(db, portal, other_portal):
    db.write_call(service.configure, portal.id, accept_new_forms=True)
    make_form(db, other_portal, "known")
    data = {"Email": "new@example.com", "IPAddress": "1.1.1.1", "UserToken": "u"}
    r = httpx.post(f"{portal.server.url}/?app=leaddirector&FormName=Brand+New&portalId={portal.id}",
                   data=data)
    assert r.status_code == 200, r.text
    with portal.client() as client:
        lead = wait_for_lead(client, submission_guid(r.text))
    assert lead["leadConversionEvents"][0]["formName"] == "Brand New"
    assert [f.name for f in db.read_call(service.list_forms, portal.id)] == ["Brand New"]
    # The other portal keeps the default: unknown names are refused.
    r = httpx.post(
        f"{portal.server.url}/?app=leaddirector&FormName=Brand+New&portalId={other_portal.id}",
        data=data,
    )
    assert r.status_code == 404


def test_portal_is_found_by_its_configured_host_name(db, portal):
    db.write_call(service.configure, portal.id, add_hosts=[f"forms-{portal.id}.example.com"])
    url = make_form(db, portal, "hosted")
    assert url == f"http://forms-{portal.id}.example.com/?app=leaddirector&FormName=hosted"
    r = httpx.post(
        f"{portal.server.url}/?app=leaddirector&FormName=hosted",
        data={"Email": "host@example.com", "IPAddress": "1.1.1.1", "UserToken": "u"},
        headers={"Host": f"FORMS-{portal.id}.example.com:8080"},
    )
    assert r.status_code == 200, r.text
    with portal.client() as client:
        lead = wait_for_lead(client, submission_guid(r.text))
    assert lead["portalId"] == portal.id


def test_another_portals_submissions_are_invisible(db, portal, other_portal):
    url = make_form(db, portal)
    r = httpx.post(url, data={"Email": "mine@example.com", "IPAddress": "1", "UserToken": "m"})
    guid = submission_guid(r.text)
    with portal.client() as client:
        wait_for_lead(client, guid)
    with other_portal.client() as client:
        r = client.get("/leads/v1/lead/", params={"conversionEventGuid": guid})
        assert r.status_code == 404


@pytest.mark.parametrize("value", ["0", "-3", "007"])
def test_number_employees_accepts_whole_numbers(db, portal, value):
    url = make_form(db, portal, f"n{value}")
    r = httpx.post(url, data={"NumberEmployees": value, "IPAddress": "1", "UserToken": f"n{value}"})
    with portal.client() as client:
        lead = wait_for_lead(client, submission_guid(r.text))
    assert lead["crmDetails"]["numEmployees"] == int(value)

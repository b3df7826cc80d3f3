"""The documents' example URLs against a --demo server return the documents' example JSON."""

from __future__ import annotations

import httpx

from tests.seeds import example_lead

DEMO_TOKEN = "demooooo-oooo-oooo-oooo-oooooooooooo"
GUID = "8a41f2f22906b93a012906b9438f0008"


def test_example_url_returns_example_lead(demo_server):
    r = httpx.get(f"{demo_server.url}/leads/v1/lead/{GUID}?access_token={DEMO_TOKEN}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == [example_lead(demo_server.url)]


def test_example_list_url_returns_example_lead(demo_server):
    r = httpx.get(f"{demo_server.url}/leads/v1/list?access_token={DEMO_TOKEN}&max=1")
    assert r.status_code == 200
    assert r.json() == [example_lead(demo_server.url)]


def test_keys_are_exactly_the_documented_field_set(demo_server):
    r = httpx.get(f"{demo_server.url}/leads/v1/lead/{GUID}/", params={"hapikey": DEMO_TOKEN})
    lead = r.json()[0]
    expected = example_lead(demo_server.url)
    assert list(lead) == sorted(expected)
    for nested in ("analyticsDetails", "crmDetails"):
        assert set(lead[nested]) == set(expected[nested])


def test_missing_and_unknown_credentials_get_401(demo_server):
    r = httpx.get(f"{demo_server.url}/leads/v1/lead/{GUID}")
    assert r.status_code == 401
    assert r.json()["category"] == "INVALID_AUTHENTICATION"
    r = httpx.get(f"{demo_server.url}/leads/v1/lead/{GUID}?access_token=nope")
    assert r.status_code == 401
    assert r.json()["status"] == "error"

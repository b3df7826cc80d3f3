"""CRM v3 search: the thirteen operators, query, sorts, paging and HubSpot's limits."""

from __future__ import annotations

import pytest
from hubspot.crm.contacts import PublicObjectSearchRequest
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate

from tests.e2e.crm_helpers import ApiError, client, error_of, release_client_sockets

__all__ = ["release_client_sockets"]

PEOPLE = [
    {"firstname": "Ada", "lastname": "Lovelace", "email": "ada@engines.org",
     "hs_analytics_num_visits": None, "leadhub_first_visit_set_at": "2020-01-01T00:00:00Z"},
    {"firstname": "Grace", "lastname": "Hopper", "email": "grace@navy.mil",
     "leadhub_first_visit_set_at": "2021-06-01T00:00:00Z"},
    {"firstname": "Alan", "lastname": "Turing", "email": "alan@bletchley.uk"},
]


@pytest.fixture
def people(portal):
    """A portal with three contacts; yields (client, {firstname: id})."""
    hs = client(portal)
    ids = {}
    for person in PEOPLE:
        props = {k: v for k, v in person.items() if v is not None}
        ids[person["firstname"]] = hs.crm.contacts.basic_api.create(
            ContactCreate(properties=props)).id
    return hs, ids


def _names(hs, *filters, **kwargs) -> list[str]:
    groups = [{"filters": list(filters)}] if filters else []
    found = hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=groups, properties=["firstname"], sorts=["firstname"], limit=100, **kwargs))
    assert found.total == len(found.results)
    return [r.properties["firstname"] for r in found.results]


def f(prop: str, op: str, value=None, **extra):
    out = {"propertyName": prop, "operator": op, **extra}
    if value is not None:
        out["value"] = value
    return out


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (f("firstname", "EQ", "ada"), ["Ada"]),
        (f("firstname", "NEQ", "Ada"), ["Alan", "Grace"]),
        (f("leadhub_first_visit_set_at", "LT", "2021-01-01T00:00:00Z"), ["Ada"]),
        (f("leadhub_first_visit_set_at", "LTE", "1590969600000"), ["Ada"]),
        (f("leadhub_first_visit_set_at", "GT", "2020-01-01T00:00:00.000Z"), ["Grace"]),
        (f("leadhub_first_visit_set_at", "GTE", "2020-01-01T00:00:00Z"), ["Ada", "Grace"]),
        (f("leadhub_first_visit_set_at", "BETWEEN", "2019-01-01T00:00:00Z",
           highValue="2020-06-01T00:00:00Z"), ["Ada"]),
        (f("lastname", "IN", values=["hopper", "Turing"]), ["Alan", "Grace"]),
        (f("lastname", "NOT_IN", values=["Hopper"]), ["Ada", "Alan"]),
        (f("leadhub_first_visit_set_at", "HAS_PROPERTY"), ["Ada", "Grace"]),
        (f("leadhub_first_visit_set_at", "NOT_HAS_PROPERTY"), ["Alan"]),
        (f("email", "CONTAINS_TOKEN", "navy"), ["Grace"]),
        (f("email", "CONTAINS_TOKEN", "*.org"), ["Ada"]),
        (f("email", "NOT_CONTAINS_TOKEN", "navy"), ["Ada", "Alan"]),
    ],
)
def test_operators(people, flt, expected):
    hs, _ = people
    assert _names(hs, flt) == expected


def test_computed_properties_filter_and_sort(people):
    hs, ids = people
    assert _names(hs, f("hs_object_id", "EQ", ids["Grace"])) == ["Grace"]
    assert _names(hs, f("hs_object_id", "GT", ids["Ada"])) == ["Alan", "Grace"]
    found = hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        sorts=["-hs_object_id"], properties=["firstname"]))
    assert [r.properties["firstname"] for r in found.results] == ["Alan", "Grace", "Ada"]
    assert _names(hs, f("createdate", "GTE", "2000-01-01T00:00:00Z")) == ["Ada", "Alan", "Grace"]


def test_groups_are_ored_and_filters_anded(people):
    hs, _ = people
    found = hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[
            {"filters": [f("firstname", "EQ", "Ada"), f("lastname", "EQ", "Hopper")]},
            {"filters": [f("lastname", "EQ", "Turing")]},
        ],
        properties=["firstname"],
    ))
    assert [r.properties["firstname"] for r in found.results] == ["Alan"]


def test_query_and_paging(people):
    hs, _ = people
    assert _names(hs, query="hopper") == ["Grace"]
    first = hs.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(limit=2, sorts=["firstname"], properties=["firstname"]))
    assert first.total == 3 and first.paging.next.after == "2"
    rest = hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        limit=2, after=first.paging.next.after, sorts=["firstname"], properties=["firstname"]))
    assert [r.properties["firstname"] for r in rest.results] == ["Grace"]
    assert rest.paging is None


def _many(n: int, prop: str = "firstname") -> list[dict]:
    return [f(prop, "EQ", str(i)) for i in range(n)]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"filterGroups": [{"filters": _many(1)}] * 6}, "TOO_MANY_FILTER_GROUPS"),
        ({"filterGroups": [{"filters": _many(7)}]}, "TOO_MANY_FILTERS"),
        ({"filterGroups": [{"filters": _many(6)}] * 3 + [{"filters": _many(1)}]},
         "TOO_MANY_FILTERS"),
        ({"sorts": ["firstname", "lastname"]}, "TOO_MANY_SORTS"),
        ({"limit": 201}, "INVALID_LIMIT"),
        ({"limit": 100, "after": "9950"}, "RESULTS_LIMIT_EXCEEDED"),
        ({"filterGroups": [{"filters": [f("nope", "EQ", "1")]}]}, "PROPERTY_DOESNT_EXIST"),
        ({"filterGroups": [{"filters": [f("firstname", "LIKE", "1")]}]}, "INVALID_OPERATOR"),
        ({"filterGroups": [{"filters": [{"propertyName": "firstname", "operator": {},
                                         "value": "1"}]}]}, "INVALID_OPERATOR"),
        ({"filterGroups": [{"filters": [{"propertyName": "firstname", "operator": ["EQ"],
                                         "value": "1"}]}]}, "INVALID_OPERATOR"),
        ({"filterGroups": [{"filters": [f("firstname", "IN")]}]}, "INVALID_SEARCH"),
        ({"filterGroups": [{"filters": [f("hs_object_id", "EQ", "9" * 30)]}]}, "INVALID_SEARCH"),
        ({"filterGroups": [{"filters": [f("hs_email_optout", "EQ", "maybe")]}]},
         "INVALID_BOOLEAN"),
    ],
)
def test_limits_and_bad_requests(portal, body, code):
    with portal.client() as http:
        r = http.post("/crm/v3/objects/contacts/search", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["category"] == "VALIDATION_ERROR"
    assert r.json()["errors"][0]["code"] == code


def test_client_error_on_bad_search(portal):
    hs = client(portal)
    with pytest.raises(ApiError) as info:
        hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=500))
    assert info.value.status == 400
    assert error_of(info.value)["category"] == "VALIDATION_ERROR"


def test_five_groups_of_six_within_eighteen_pass(portal):
    body = {"filterGroups": [{"filters": _many(6)}] * 3}
    with portal.client() as http:
        r = http.post("/crm/v3/objects/contacts/search", json=body)
    assert r.status_code == 200 and r.json() == {"total": 0, "results": []}

"""GET /leads/v1/list: every parameter of HubSpot's document and of the real clients."""

from __future__ import annotations

import pytest

from tests.factories import make_lead, make_leads


def guids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [lead["guid"] for lead in response.json()]


def test_list_with_and_without_trailing_slash_and_isolation(db, portal, other_portal):
    mine = make_lead(db, portal.id)
    theirs = make_lead(db, other_portal.id)
    with portal.client() as http:
        assert guids(http.get("/leads/v1/list")) == [mine.guid]
        assert guids(http.get("/leads/v1/list/")) == [mine.guid]
        # Another portal's guid asked for explicitly is left out, as an unknown one is.
        r = http.get("/leads/v1/list", params={"guids[0]": theirs.guid, "guids[1]": mine.guid})
        assert guids(r) == [mine.guid]
        r = http.get("/leads/v1/list", params={"search": "First", "includeDeleted": "true"})
        assert guids(r) == [mine.guid]


def test_search_first_last_email_company_case_insensitive(db, portal):
    a = make_lead(db, portal.id, firstName="Marie", lastName="Curie", email="mc@radium.org",
                  company="Sorbonne")
    b = make_lead(db, portal.id, firstName="Pierre", lastName="Curie", email="pc@physics.fr",
                  company="ESPCI")
    c = make_lead(db, portal.id, firstName="Albert", lastName="Einstein", email="ae@ias.edu",
                  company="IAS", city="Curie Town")
    with portal.client() as http:
        def search(text: str) -> set[str]:
            return set(guids(http.get("/leads/v1/list", params={"search": text})))

        assert search("marie") == {a.guid}
        assert search("CURIE") == {a.guid, b.guid}  # last name; not city
        assert search("Physics.FR") == {b.guid}
        assert search("sorb") == {a.guid}
        assert search("ias") == {c.guid}
        assert search("Marie Curie") == {a.guid}  # every word must match some field
        assert search("") == {a.guid, b.guid, c.guid}
        assert search("100%_") == set()  # LIKE wildcards are literal




def test_sort_by_text_fields_both_directions(db, portal):
    made = [
        make_lead(db, portal.id, firstName=f, lastName=last, email=e, address=a, phone=p,
                  company=f, city=last)
        for f, last, e, a, p in [
            ("bob", "Young", "b@x.com", "2 Road", "555-2"),
            ("Alice", "zane", "c@x.com", "3 Road", "555-3"),
            ("carol", "Xu", "a@x.com", "1 Road", "555-1"),
        ]
    ]
    with portal.client() as http:
        def order(sort: str, direction: str) -> list[int]:
            r = http.get("/leads/v1/list", params={"sort": sort, "dir": direction})
            return [[m.guid for m in made].index(g) for g in guids(r)]

        assert order("firstName", "asc") == [1, 0, 2]  # case-insensitive
        assert order("firstName", "desc") == [2, 0, 1]
        assert order("lastName", "asc") == [2, 0, 1]
        assert order("email", "asc") == [2, 0, 1]
        assert order("address", "DESC") == [1, 0, 2]
        assert order("phone", "asc") == [2, 0, 1]


def test_sort_by_times_and_conversion_dates(db, portal):
    # inserted:  a < b < c;  first conversion: c < a < b;  last conversion: b < c < a
    a = make_lead(db, portal.id, inserted_at=1_000, conversions=(2_000, 9_000))
    b = make_lead(db, portal.id, inserted_at=1_100, conversions=(3_000, 4_000))
    c = make_lead(db, portal.id, inserted_at=1_200, conversions=(1_500, 5_000))
    names = {a.guid: "a", b.guid: "b", c.guid: "c"}
    with portal.client() as http:
        def order(sort: str, direction: str = "asc") -> str:
            r = http.get("/leads/v1/list", params={"sort": sort, "dir": direction})
            return "".join(names[g] for g in guids(r))

        assert order("insertedAt") == "abc"
        assert order("insteredAt", "desc") == "cba"  # the document's spelling
        assert order("fce.convertDate") == "cab"
        assert order("firstConvertedAt", "desc") == "bac"
        assert order("lce.convertDate") == "bca"
        assert order("lastConvertedAt") == "bca"
        # lastModifiedAt is the default sort, newest first: a's last conversion is newest.
        assert "".join(names[g] for g in guids(http.get("/leads/v1/list"))) == "acb"
        assert order("lastModifiedAt") == "bca"


def test_sort_by_closed_at_score_and_source(db, portal):
    a = make_lead(db, portal.id, score=5.5, closedAt=3_000, sourceId=7)
    b = make_lead(db, portal.id, score=40, sourceId=1)
    c = make_lead(db, portal.id, score=10.25, closedAt=2_000, sourceId=4)
    names = {a.guid: "a", b.guid: "b", c.guid: "c"}
    with portal.client() as http:
        def order(sort: str, direction: str = "asc") -> str:
            r = http.get("/leads/v1/list", params={"sort": sort, "dir": direction})
            return "".join(names[g] for g in guids(r))

        assert order("closedAt") == "bca"  # not closed sorts as 0
        assert order("score") == "acb"  # numerically, not as text
        assert order("score", "desc") == "bca"
        assert order("sourceId") == "bca"  # by id: 1 Organic Search ... 7 Other Campaigns


def test_max_defaults_to_10_clamps_at_100_and_offset_pages(db, portal):
    made = make_leads(db, portal.id, 105)
    with portal.client() as http:
        assert len(guids(http.get("/leads/v1/list"))) == 10
        assert len(guids(http.get("/leads/v1/list", params={"max": 3}))) == 3
        assert len(guids(http.get("/leads/v1/list", params={"max": 150}))) == 100
        pages = []
        for offset in range(0, 105, 20):
            r = http.get("/leads/v1/list", params={
                "max": 20, "offset": offset, "sort": "insertedAt", "dir": "asc"})
            pages.extend(guids(r))
        assert pages == made
        assert guids(http.get("/leads/v1/list", params={"offset": 500})) == []


def test_time_window_on_each_pivot(db, portal):
    a = make_lead(db, portal.id, inserted_at=10_000, conversions=(20_000,), closedAt=50_000)
    b = make_lead(db, portal.id, inserted_at=11_000, conversions=(30_000, 40_000))
    c = make_lead(db, portal.id, inserted_at=12_000)
    names = {a.guid: "a", b.guid: "b", c.guid: "c"}
    with portal.client() as http:
        def window(pivot: str | None, start: int | None, stop: int | None) -> str:
            params: dict[str, object] = {"sort": "insertedAt", "dir": "asc"}
            if pivot:
                params["timePivot"] = pivot
            if start is not None:
                params["startTime"] = start
            if stop is not None:
                params["stopTime"] = stop
            return "".join(names[g] for g in guids(http.get("/leads/v1/list", params=params)))

        assert window(None, 10_500, None) == "bc"  # default pivot: insertedAt
        assert window("insertedAt", 10_000, 11_000) == "ab"  # bounds are inclusive
        assert window("insertedAt", None, 11_500) == "ab"
        assert window("firstConvertedAt", 25_000, None) == "b"
        assert window("firstConvertedAt", None, 25_000) == "a"  # never converted: left out
        assert window("lastConvertedAt", 35_000, 45_000) == "b"
        assert window("closedAt", 1, None) == "a"
        assert window("closedAt", None, 40_000) == ""
        assert window("lastModifiedAt", 30_000, None) == "b"
        assert window("lastModifiedAt", None, 12_000) == "c"
        assert window("closedAt", None, None) == "abc"  # a pivot alone does not filter
        assert window("insertedAt", 99_999_999_999_999_999, None) == ""


def test_exclude_conversion_events(db, portal):
    made = make_lead(db, portal.id, conversions=(1_000, 2_000))
    with portal.client() as http:
        full = http.get("/leads/v1/list").json()[0]
        assert len(full["leadConversionEvents"]) == 2
        for value in ("true", "True"):
            r = http.get("/leads/v1/list", params={"excludeConversionEvents": value})
            slim = r.json()[0]
            assert slim["guid"] == made.guid
            assert slim["leadConversionEvents"] == []
            assert slim["numConversionEvents"] == 2
        r = http.get("/leads/v1/list", params={"excludeConversionEvents": "false"})
        assert len(r.json()[0]["leadConversionEvents"]) == 2


@pytest.mark.parametrize(
    ("param", "field"),
    [
        ("optOut", "emailOptOut"),
        ("emailOptOut", "emailOptOut"),
        ("eligibleForEmail", "eligibleForEmail"),
        ("bounced", "emailBounced"),
    ],
)
def test_boolean_filters(db, portal, param, field):
    yes = make_lead(db, portal.id, **{field: True})
    no = make_lead(db, portal.id, **{field: False})
    unset = make_lead(db, portal.id)
    with portal.client() as http:
        assert guids(http.get("/leads/v1/list", params={param: "true"})) == [yes.guid]
        everyone = set(guids(http.get("/leads/v1/list", params={param: "false"})))
        assert everyone == {yes.guid, no.guid, unset.guid}


def test_is_not_imported(db, portal):
    imported = make_lead(db, portal.id, imported=True)
    web = make_lead(db, portal.id, imported=False)
    unset = make_lead(db, portal.id)
    with portal.client() as http:
        only_web = set(guids(http.get("/leads/v1/list", params={"isNotImported": "true"})))
        assert only_web == {web.guid, unset.guid}
        everyone = set(guids(http.get("/leads/v1/list", params={"isNotImported": "false"})))
        assert everyone == {imported.guid, web.guid, unset.guid}


def test_include_deleted(db, portal):
    live = make_lead(db, portal.id)
    gone = make_lead(db, portal.id)
    with portal.client() as http:
        r = http.put(f"/leads/v1/lead/{gone.guid}", json={"guid": gone.guid, "isDeleted": True})
        assert r.status_code == 200
        assert guids(http.get("/leads/v1/list")) == [live.guid]
        assert guids(http.get("/leads/v1/list", params={"guids[0]": gone.guid})) == []
        both = guids(http.get("/leads/v1/list", params={"includeDeleted": "true"}))
        assert set(both) == {live.guid, gone.guid}


def test_guids_select_leads_and_more_than_100_is_413(db, portal):
    made = make_leads(db, portal.id, 12)
    with portal.client() as http:
        params = {f"guids[{i}]": g for i, g in enumerate(made[:11])}
        # With guids, max defaults to how many were asked for (here more than 10).
        assert set(guids(http.get("/leads/v1/list", params=params))) == set(made[:11])
        params["guids[11]"] = "0" * 32  # unknown: left out
        assert len(guids(http.get("/leads/v1/list", params=params))) == 11
        too_many = {f"guids[{i}]": made[i % 12] for i in range(101)}
        r = http.get("/leads/v1/list", params=too_many)
        assert r.status_code == 413
        assert "100" in r.json()["message"]
        exactly = {f"guids[{i}]": made[i % 12] for i in range(100)}
        assert http.get("/leads/v1/list", params=exactly).status_code == 200


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"max": "abc"}, "max"),
        ({"max": "0"}, "max"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "x"}, "offset"),
        ({"dir": "up"}, "dir"),
        ({"sort": "shoeSize"}, "sort"),
        ({"timePivot": "createdAt"}, "timePivot"),
        ({"startTime": "yesterday"}, "startTime"),
        ({"stopTime": "-5"}, "stopTime"),
        ({"optOut": "maybe"}, "optOut"),
        ({"emailOptOut": "2"}, "emailOptOut"),
        ({"eligibleForEmail": "si"}, "eligibleForEmail"),
        ({"bounced": "nah"}, "bounced"),
        ({"isNotImported": "x"}, "isNotImported"),
        ({"includeDeleted": "x"}, "includeDeleted"),
        ({"excludeConversionEvents": "x"}, "excludeConversionEvents"),
    ],
)
def test_invalid_parameters_are_400_naming_the_parameter(portal, params, named):
    with portal.client() as http:
        r = http.get("/leads/v1/list", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["status"] == "error"
    assert named in body["message"]

"""Bad input catalogue for the v1 face and authentication.

Every hostile or malformed request gets a clear 4xx in HubSpot's error
envelope and changes nothing: the portal's rows in every table are the same
before and after, and the lead reads back the same through the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.reliability.helpers import make_lead, rss_mb, snapshot

MB = 1 << 20


def assert_error(r: httpx.Response, status: int, mentions: str | None = None) -> None:
    """A 4xx with HubSpot's error body (status, message, correlationId, category)."""
    assert r.status_code == status, r.text[:300]
    body = r.json()
    assert body["status"] == "error"
    assert body["category"]
    assert body["correlationId"]
    assert isinstance(body["message"], str) and body["message"]
    if mentions:
        assert mentions.lower() in body["message"].lower(), body["message"]


@pytest.fixture
def lead(db, portal):
    """A portal with one lead; yields (portal, guid)."""
    guid = make_lead(db, portal.id, email="ada@example.com", company="Analytical Engines")
    return portal, guid


# ---------------------------------------------------------------- list parameters

BAD_LIST_PARAMS = [
    ({"max": "abc"}, 400, "max"),
    ({"max": "-1"}, 400, "max"),
    ({"max": "99999999999999999999"}, 400, "max"),
    ({"offset": "-5"}, 400, "offset"),
    ({"offset": "99999999999999999999"}, 400, "offset"),
    ({"offset": "1e3"}, 400, "offset"),
    ({"startTime": "99999999999999999999"}, 400, "startTime"),
    ({"stopTime": "yesterday"}, 400, "stopTime"),
    ({"startTime": "-1"}, 400, "startTime"),
    ({"dir": "up"}, 400, "dir"),
    ({"sort": "email; DROP TABLE objects"}, 400, "sort"),
    ({"sort": "email' OR '1'='1"}, 400, "sort"),
    ({"sort": "props->>'email'"}, 400, "sort"),
    ({"sort": "__class__"}, 400, "sort"),
    ({"timePivot": "insertedAt;--"}, 400, "timePivot"),
    ({"includeDeleted": "maybe"}, 400, "includeDeleted"),
    ({"search": "a\x00b"}, 400, "NUL"),
    ({"guids[0]": "\x00"}, 400, "NUL"),
    ({f"guids[{i}]": f"{i:032x}" for i in range(101)}, 413, "100"),
]


@pytest.mark.parametrize(("params", "status", "mentions"), BAD_LIST_PARAMS)
def test_bad_list_parameters_get_4xx(db, lead, params, status, mentions):
    portal, _ = lead
    before = snapshot(db, portal.id)
    with portal.client() as c:
        assert_error(c.get("/leads/v1/list", params=params), status, mentions)
    assert snapshot(db, portal.id) == before


ODD_BUT_VALID_SEARCHES = [
    "' OR 1=1 --",
    "\" OR \"\"=\"",
    "%",
    "_",
    "\\",
    "ada%' UNION SELECT * FROM tokens --",
    "\ufffd\ufffd",  # what invalid UTF-8 (%FF%FE) decodes to
    "x" * 4000,
]


@pytest.mark.parametrize("search", ODD_BUT_VALID_SEARCHES)
def test_injection_in_search_matches_literally(db, lead, other_portal, search):
    portal, _ = lead
    make_lead(db, other_portal.id, email="victim@example.com", firstName="%_'")
    with portal.client() as c:
        r = c.get("/leads/v1/list", params={"search": search})
    assert r.status_code == 200, r.text[:300]
    # Nothing in this portal contains these strings literally; LIKE wildcards are escaped.
    assert r.json() == []


def test_invalid_utf8_percent_encoding_is_harmless(lead):
    portal, _ = lead
    with portal.client() as c:
        r = c.get("/leads/v1/list?search=%FF%FE%C0%AF")
        assert r.status_code == 200 and r.json() == []
        assert_error(c.get("/leads/v1/lead?email=%FF%C0"), 404)
        assert_error(c.get("/leads/v1/lead/%FF%FE"), 404)


def test_huge_time_bounds_clamp_to_the_representable_range(lead):
    portal, guid = lead
    with portal.client() as c:
        for pivot in ("insertedAt", "closedAt", "lastConvertedAt", "lastModifiedAt"):
            r = c.get(
                "/leads/v1/list",
                params={"timePivot": pivot, "startTime": "0", "stopTime": str(2**63 - 1)},
            )
            assert r.status_code == 200, (pivot, r.text[:300])
        r = c.get("/leads/v1/list", params={"startTime": str(2**63 - 1), "timePivot": "closedAt"})
        assert r.status_code == 200 and r.json() == []
        r = c.get("/leads/v1/list", params={"stopTime": str(2**63 - 1)})
        assert [x["guid"] for x in r.json()] == [guid]


# ---------------------------------------------------------------- lookups

BAD_LOOKUPS = [
    ("/leads/v1/lead/%00", 400),
    ("/leads/v1/lead/abc%00def", 400),
    ("/leads/v1/lead?email=%00", 400),
    ("/leads/v1/lead?userToken=a%00", 400),
    ("/leads/v1/lead?conversionEventGuid=%00", 400),
    ("/leads/v1/lead/'%20OR%201=1--", 404),
    ("/leads/v1/lead?email=%27%20OR%201=1--", 404),
    ("/leads/v1/lead?email=ada%25", 404),
    ("/leads/v1/lead?userToken=%25", 404),
    ("/leads/v1/lead", 400),
]


@pytest.mark.parametrize(("url", "status"), BAD_LOOKUPS)
def test_bad_lookups_get_4xx(db, lead, url, status):
    portal, _ = lead
    before = snapshot(db, portal.id)
    with portal.client() as c:
        assert_error(c.get(url), status)
    assert snapshot(db, portal.id) == before


# ---------------------------------------------------------------- PUT bodies

def _bad_bodies(guid: str) -> list[tuple[str, bytes, str, int, str | None]]:
    """(case, raw body, content type, status, a word the message names)."""
    j = "application/json"

    def body(**extra: object) -> bytes:
        return json.dumps({"guid": guid, **extra}).encode()

    def raw(field: str, literal: bytes) -> bytes:
        return b'{"guid":"' + guid.encode() + b'","' + field.encode() + b'":' + literal + b"}"

    return [
        ("malformed", b'{"guid": ', j, 400, "JSON"),
        ("empty", b"", j, 400, "JSON"),
        ("trailing garbage", body() + b"x", j, 400, "JSON"),
        ("array", b"[]", j, 400, "object"),
        ("string", b'"hello"', j, 400, "object"),
        ("deep nesting", b"[" * 100_000 + b"]" * 100_000, j, 400, "JSON"),
        ("invalid utf-8", raw("firstName", b'"\xff\xfe"'), j, 400, None),
        ("lone surrogate", raw("firstName", b'"\\ud800"'), j, 400, None),
        ("NUL in value", body(firstName="a\x00b"), j, 400, "NUL"),
        ("NUL in key", body(**{"first\x00Name": "x"}), j, 400, "NUL"),
        ("1 MB value", body(firstName="x" * MB), j, 400, "65536"),
        ("1 MB email", body(email="x" * MB + "@example.com"), j, 400, None),
        ("2 kB email", body(email="x" * 2000 + "@example.com"), j, 400, "email"),
        ("closedAt 20 digits", body(closedAt=99999999999999999999), j, 400, "closedAt"),
        ("closedAt year 10000", body(closedAt=253402300800000), j, 400, "closedAt"),
        ("closedAt float 1e30", raw("closedAt", b"1e30"), j, 400, "closedAt"),
        ("closedAt numeric string", body(closedAt="9" * 40), j, 400, "closedAt"),
        ("closedAt negative", body(closedAt=-5), j, 400, "closedAt"),
        ("closedAt object", body(closedAt={"$gt": 0}), j, 400, "closedAt"),
        ("firstVisitSetAt huge", body(firstVisitSetAt=10**30), j, 400, "firstVisitSetAt"),
        ("rawScore past 64 bits", body(rawScore=10**30), j, 400, "rawScore"),
        ("score infinite", raw("score", b"1e400"), j, 400, None),
        ("score NaN text", body(score="NaN"), j, 400, "score"),
        ("sourceId huge", body(sourceId=10**30), j, 400, "sourceId"),
        ("isDeleted object", body(isDeleted={"a": 1}), j, 400, "isDeleted"),
        ("injection in field name", body(**{"firstName') OR 1=1--": "x"}), j, 400, "OR 1=1"),
        ("property path as field", body(**{"props.email": "x"}), j, 400, "props.email"),
        ("non-editable changed", body(insertedAt=1), j, 400, "insertedAt"),
        ("guid mismatch", json.dumps({"guid": "0" * 32}).encode(), j, 400, "guid"),
        ("guid missing", b"{}", j, 400, "guid"),
        ("form body", b"guid=" + guid.encode() + b"&firstName=x",
         "application/x-www-form-urlencoded", 415, "JSON"),
        ("text body", body(firstName="x"), "text/plain", 415, "JSON"),
        ("no content type", body(firstName="x"), "", 415, "JSON"),
        ("multipart", body(firstName="x"), "multipart/form-data; boundary=x", 415, "JSON"),
        ("json lookalike", body(firstName="x"), "application/jsonp", 415, "JSON"),
    ]


def _case_ids() -> list[str]:
    return [c[0] for c in _bad_bodies("0" * 32)]


@pytest.mark.parametrize("case", _case_ids())
def test_bad_put_bodies_get_4xx_and_change_nothing(db, lead, case):
    portal, guid = lead
    name, raw, ctype, status, mentions = next(c for c in _bad_bodies(guid) if c[0] == case)
    before = snapshot(db, portal.id)
    with portal.client() as c:
        lead_before = c.get(f"/leads/v1/lead/{guid}").json()
        headers = {"content-type": ctype} if ctype else {}
        r = c.put(f"/leads/v1/lead/{guid}", content=raw, headers=headers)
        assert_error(r, status, mentions)
        assert c.get(f"/leads/v1/lead/{guid}").json() == lead_before
    assert snapshot(db, portal.id) == before


def test_bad_input_never_poisons_later_reads(db, lead):
    """Values at the edges of what is accepted read back fine afterwards."""
    portal, guid = lead
    edge = {
        "guid": guid,
        "rawScore": 2**63 - 1,
        "score": 1.7976931348623157e308,
        "closedAt": 253402300799999,
        "firstVisitSetAt": 253402300799999,
        "firstName": "x" * 65_536,
        "lastName": "\u202e\ufeff\U0001f600 ' OR 1=1 --",
    }
    with portal.client() as c:
        r = c.put(f"/leads/v1/lead/{guid}", json=edge)
        assert r.status_code == 200, r.text
        got = c.get(f"/leads/v1/lead/{guid}").json()[0]
        assert got["rawScore"] == 2**63 - 1
        assert got["closedAt"] == 253402300799999
        assert got["lastName"] == edge["lastName"]
        listed = c.get("/leads/v1/list", params={"sort": "rawScore"})
        assert listed.status_code == 200 and listed.json()[0]["guid"] == guid


# ---------------------------------------------------------------- authentication

def test_missing_bad_and_odd_credentials_get_401(db, lead, server):
    portal, guid = lead
    before = snapshot(db)
    cases = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer " + "x" * 8000},
        {"Authorization": "Basic " + portal.token},
        {"Authorization": f"Bearer {portal.token}x"},
        {"Authorization": "Bearer ' OR '1'='1"},
    ]
    with httpx.Client(base_url=server.url) as c:
        for headers in cases:
            assert_error(c.get(f"/leads/v1/lead/{guid}", headers=headers), 401)
            r = c.put(f"/leads/v1/lead/{guid}", json={"guid": guid, "firstName": "x"},
                      headers=headers)
            assert_error(r, 401)
        for query in ("access_token=%27%20OR%201=1--", "hapikey=%FF%FE", "access_token="):
            assert_error(c.get(f"/leads/v1/list?{query}"), 401)
        assert_error(c.get("/leads/v1/list?access_token=%00"), 400, "NUL")
    assert snapshot(db) == before


# ---------------------------------------------------------------- body size

def _chunks(total_mb: int) -> Iterator[bytes]:
    chunk = b" " * MB
    for _ in range(total_mb):
        yield chunk


def test_oversized_bodies_get_413_and_memory_stays_flat(db, lead, server):
    portal, guid = lead
    before = snapshot(db, portal.id)
    url = f"/leads/v1/lead/{guid}"
    headers = {"content-type": "application/json"}
    with portal.client() as c:
        # Warm up: one refused body of each kind, then measure.
        assert_error(c.put(url, content=_chunks(12), headers=headers), 413)
        rss = rss_mb(server.proc.pid)
        for _ in range(3):
            # Declared length over the limit: refused before reading.
            r = c.put(url, content=b" " * (11 * MB), headers=headers)
            assert_error(r, 413)
            # Chunked transfer (no length): refused once the limit is crossed.
            r = c.put(url, content=_chunks(64), headers=headers)
            assert "content-length" not in r.request.headers
            assert r.request.headers.get("transfer-encoding") == "chunked"
            assert_error(r, 413)
        # 3 x 75 MB sent; buffering them would grow the server by far more than this.
        assert rss_mb(server.proc.pid) - rss < 30
        # A body just under the limit is still read and judged on its content.
        almost = json.dumps({"guid": guid}).encode() + b" " * (10 * MB - 100)
        assert c.put(url, content=almost, headers=headers).status_code == 200
    assert snapshot(db, portal.id) == before

"""Optional per-token rate limits: 429 with Retry-After and HubSpot's headers, per portal."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from leadhub.ratelimit import Limits, RateLimiter
from tests.conftest import _python_path, make_portal

HEADERS = [
    "x-hubspot-ratelimit-interval-milliseconds",
    "x-hubspot-ratelimit-max",
    "x-hubspot-ratelimit-remaining",
    "x-hubspot-ratelimit-secondly",
    "x-hubspot-ratelimit-secondly-remaining",
    "x-hubspot-ratelimit-daily",
    "x-hubspot-ratelimit-daily-remaining",
]


def _limits(store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadhub", "portal", "limits", "--database-url", store_url, *args],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": _python_path()},
    )


def test_limits_are_off_by_default(portal):
    with portal.client() as c:
        for _ in range(30):
            r = c.get("/leads/v1/list")
            assert r.status_code == 200
            assert not [h for h in r.headers if h.startswith("x-hubspot-ratelimit")]


def test_daily_limit_answers_429_and_leaves_other_portals_alone(db, server, store_url):
    limited = make_portal(db, server, "Limited")
    other = make_portal(db, server, "Unlimited")
    result = _limits(store_url, "--portal", str(limited.id), "--daily", "3", "--per-second", "50")
    assert result.returncode == 0, result.stderr
    assert "3 requests per day" in result.stdout
    with limited.client() as c:
        remaining = []
        for _ in range(3):
            r = c.get("/leads/v1/list")
            assert r.status_code == 200, r.text
            assert all(h in r.headers for h in HEADERS), r.headers
            assert r.headers["x-hubspot-ratelimit-daily"] == "3"
            remaining.append(r.headers["x-hubspot-ratelimit-daily-remaining"])
        assert remaining == ["2", "1", "0"]
        for url in ("/leads/v1/list", "/crm/v3/objects/contacts", "/leads/v1/lead/nope"):
            r = c.get(url)
            assert r.status_code == 429, r.text
            body = r.json()
            assert body["policyName"] == "DAILY"
            assert body["errorType"] == "RATE_LIMIT" and body["status"] == "error"
            assert body["correlationId"] and "daily" in body["message"]
            assert 0 < int(r.headers["retry-after"]) <= 86_400
            assert r.headers["x-hubspot-ratelimit-daily-remaining"] == "0"
            assert all(h in r.headers for h in HEADERS)
        # A refused write changes nothing: it never reaches the face.
        r = c.post("/crm/v3/objects/companies", json={"properties": {"name": "x"}})
        assert r.status_code == 429
    with other.client() as c:
        for _ in range(10):
            r = c.get("/leads/v1/list")
            assert r.status_code == 200
            assert "x-hubspot-ratelimit-daily" not in r.headers
        r = c.get("/crm/v3/objects/companies")
        assert r.json()["results"] == []
    # Unknown credentials are still 401, never 429.
    with httpx.Client(base_url=server.url, headers={"Authorization": "Bearer nope"}) as c:
        assert c.get("/leads/v1/list").status_code == 401
    # Limits can be lifted again.
    off = _limits(store_url, "--portal", str(limited.id), "--off")
    assert off.returncode == 0 and "no rate limits" in off.stdout


def test_secondly_limit_answers_429_with_retry_after(db, server, store_url):
    limited = make_portal(db, server, "Burst")
    assert _limits(store_url, "--portal", str(limited.id), "--per-second", "2").returncode == 0
    statuses = []
    with limited.client() as c:
        for _ in range(20):
            r = c.get("/leads/v1/list")
            statuses.append(r.status_code)
            assert r.headers["x-hubspot-ratelimit-secondly"] == "2"
            assert r.headers["x-hubspot-ratelimit-max"] == "2"
            assert r.headers["x-hubspot-ratelimit-interval-milliseconds"] == "1000"
            assert "x-hubspot-ratelimit-daily" not in r.headers
            if r.status_code == 429:
                assert r.json()["policyName"] == "SECONDLY"
                assert r.headers["retry-after"] == "1"
                assert r.headers["x-hubspot-ratelimit-secondly-remaining"] == "0"
    # 20 quick requests span a few seconds at most: most of them are over 2 per second.
    assert statuses.count(200) >= 2 and statuses.count(429) >= 1
    assert set(statuses) == {200, 429}


def test_limits_command_reports_and_refuses_clearly(db, server, store_url):
    p = make_portal(db, server, "Shown")
    shown = _limits(store_url, "--portal", str(p.id))
    assert shown.returncode == 0 and "no rate limits" in shown.stdout
    missing = _limits(store_url, "--portal", "987654321", "--daily", "5")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    negative = _limits(store_url, "--portal", str(p.id), "--daily", "-5")
    assert negative.returncode == 2


@pytest.mark.parametrize("limits", [Limits(per_second=3), Limits(daily=5), Limits(3, 5)])
def test_limiter_counts_per_token_and_window(limits):
    limiter = RateLimiter()
    t = 1_700_000_000.25
    allowed = [limiter.check("a", limits, t).policy is None for _ in range(10)]
    assert allowed.count(True) == min(x for x in (limits.per_second, limits.daily) if x)
    # Another token has its own counts.
    assert limiter.check("b", limits, t).policy is None
    if limits.per_second and not limits.daily:
        # The next second starts a fresh window.
        assert limiter.check("a", limits, t + 1).policy is None
    if limits.daily:
        for i in range(1, 10):
            limiter.check("a", limits, t + i)
        assert limiter.check("a", limits, t + 20).policy == "DAILY"
        # ... until the next UTC day.
        assert limiter.check("a", limits, t + 86_400).policy is None

"""Helpers for form-insert tests: forms, posts the way the documents' examples send
them, and waiting for the worker."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from typing import Any

import httpx

from leadhub.ingest import service
from leadhub.store import Database
from tests.conftest import PortalCtx

SUCCESS = "Lead has been successfully added to HubSpot"
# Fields of an accepted submission's row: quotes, non-ASCII and a newline, as posted.
ROW_FIELDS = [["Email", "group@example.com"], ["FirstName", "Zo\u00eb \"Q\""], ["Note", "a\nb"]]


def accepted_row(guid: str, received_at: int = 1_700_000_000_000) -> dict[str, Any]:
    """The row of an accepted form post, as the face hands it to the group commit."""
    return {"guid": guid, "portal_id": 7, "form_id": 3, "form_name": "demo",
            "form_guid": "f" * 32, "fields": ROW_FIELDS, "received_at": received_at}


def make_form(db: Database, portal: PortalCtx, name: str = "demorequest") -> str:
    """Configure a form for the portal; returns the URL to post to (as the CLI prints it)."""

    def run(conn):  # type: ignore[no-untyped-def]
        form = service.create_form(conn, portal.id, name)
        return service.form_url(conn, form, portal.server.url)

    return str(db.write_call(run))


def post_like_python_example(url: str, data: dict[str, str]) -> tuple[int, str]:
    """POST as the documents' Python example does (urllib, urlencoded body)."""
    request = urllib.request.Request(url=url, data=urllib.parse.urlencode(data).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.getcode(), response.read().decode()


def php_body(fields: dict[str, str]) -> str:
    """The body the documents' PHP example builds: every field, empty or not, in order."""
    order = [
        "FirstName", "LastName", "Email", "TwitterHandle", "Phone", "Fax", "Website", "Company",
        "JobTitle", "Address", "City", "State", "ZipCode", "Country", "Message",
        "NumberEmployees", "AnnualRevenue", "CloseDate", "IPAddress", "UserToken",
    ]
    return "&".join(f"{k}={urllib.parse.quote_plus(fields.get(k, ''))}" for k in order)


def submission_guid(text: str) -> str:
    """The submission guid of a success answer (asserting its shape)."""
    lines = text.strip().splitlines()
    assert lines[0] == SUCCESS, text
    assert lines[1].startswith("submissionGuid="), text
    guid = lines[1].split("=", 1)[1]
    assert len(guid) == 32 and int(guid, 16) >= 0, text
    return guid


def wait_for_lead(client: httpx.Client, guid: str, timeout: float = 30) -> dict[str, Any]:
    """The lead of a submission once the worker has processed it."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get("/leads/v1/lead/", params={"conversionEventGuid": guid})
        if r.status_code == 200:
            return dict(r.json()[0])
        assert r.status_code == 404, r.text
        if time.monotonic() > deadline:
            raise AssertionError(f"submission {guid} was not processed in {timeout}s")
        time.sleep(0.05)


def wait_until(check: Any, timeout: float = 30, what: str = "condition") -> Any:
    """Poll ``check()`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def wait_while_progressing(
    done: Any, progress: Any, stall: float = 120, what: str = "condition"
) -> None:
    """Poll until ``done()``; fail only when ``progress()`` has not changed for ``stall`` s.

    For a drain whose length grows with the work (thousands of submissions on
    a loaded machine): a fixed deadline would fail a slow but healthy drain,
    while a stalled one still fails.
    """
    last = progress()
    moved = time.monotonic()
    while not done():
        now = progress()
        if now != last:
            last, moved = now, time.monotonic()
        elif time.monotonic() - moved > stall:
            raise AssertionError(f"no progress for {stall}s waiting for {what} (at {now})")
        time.sleep(0.2)

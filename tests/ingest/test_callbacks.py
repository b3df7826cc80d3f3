"""Lead callbacks: registering a URL (as hubspot3 does) and receiving new leads there."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from hubspot3.leads import LeadsClient

from leadhub.ingest import service
from tests.conftest import start_server
from tests.ingest.helpers import make_form, submission_guid, wait_for_lead, wait_until


@pytest.fixture(scope="module")
def server(db, store_url, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A server whose callback retries come quickly."""
    srv = start_server(
        store_url, tmp_path_factory.mktemp("server"),
        env={"LEADHUB_CALLBACK_RETRY_BASE_MS": "50"},
    )
    yield srv
    srv.stop()


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records what is POSTed to it."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.fail_first = fail_first
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                if receiver.attempts <= receiver.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received.append(json.loads(body))
                receiver.headers.append(dict(self.headers))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def flaky_receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=2)
    yield r
    r.close()


def _callbacks_settled(db, portal_id: int) -> bool:  # type: ignore[no-untyped-def]
    counts = db.read_call(service.queue_status, portal_id).callbacks
    return counts["pending"] == 0 and counts["processing"] == 0


def test_register_and_read_the_callback_url_with_hubspot3(portal, receiver):
    leads = LeadsClient(access_token=portal.token, api_base=portal.server.url)
    with portal.client() as client:
        assert client.get("/leads/v1/callback-url").status_code == 404
        leads.register_webhook(receiver.url)
        assert leads.get_webhook()["url"] == receiver.url
        r = client.post("/leads/v1/callback-url", json={"url": "http://127.0.0.1:9/other"})
        assert r.status_code == 200 and r.json()["url"] == "http://127.0.0.1:9/other"
        assert client.get("/leads/v1/callback-url/").json()["url"] == "http://127.0.0.1:9/other"
        bad = client.post("/leads/v1/callback-url", params={"url": "ftp://example.com/x"})
        assert bad.status_code == 400 and "http" in bad.json()["message"]
        assert client.get("/leads/v1/callback-url").json()["url"] == "http://127.0.0.1:9/other"
        assert client.delete("/leads/v1/callback-url").status_code == 204
        assert client.get("/leads/v1/callback-url").status_code == 404
    assert httpx.get(f"{portal.server.url}/leads/v1/callback-url").status_code == 401


def test_a_new_lead_is_posted_to_the_callback_url_once(db, portal, receiver):
    url = make_form(db, portal)
    with portal.client() as client:
        registered = client.post("/leads/v1/callback-url", params={"url": receiver.url})
        assert registered.status_code == 200
        first = httpx.post(url, data={"Email": "cb@example.com", "FirstName": "Cee",
                                      "IPAddress": "1.1.1.1", "UserToken": "cb"})
        lead = wait_for_lead(client, submission_guid(first.text))
        wait_until(lambda: receiver.received, what="the callback")
        # A later submission from the same person updates the lead: no new-lead callback.
        again = httpx.post(url, data={"Email": "cb@example.com", "IPAddress": "1.1.1.1",
                                      "UserToken": "cb"})
        wait_for_lead(client, submission_guid(again.text))
    wait_until(lambda: _callbacks_settled(db, portal.id), what="the outbox to settle")
    assert len(receiver.received) == 1
    sent = receiver.received[0]
    assert sent["guid"] == lead["guid"] and sent["email"] == "cb@example.com"
    assert sent["firstName"] == "Cee" and sent["portalId"] == portal.id
    assert sent["leadConversionEvents"][0]["formName"] == "demorequest"
    assert receiver.headers[0]["Content-Type"] == "application/json"


def test_a_failing_callback_is_retried_until_it_arrives(db, portal, flaky_receiver):
    url = make_form(db, portal)
    with portal.client() as client:
        client.post("/leads/v1/callback-url", params={"url": flaky_receiver.url})
        r = httpx.post(url, data={"Email": "flaky@example.com", "IPAddress": "1", "UserToken": "f"})
        lead = wait_for_lead(client, submission_guid(r.text))
    wait_until(lambda: flaky_receiver.received, what="the retried callback")
    assert flaky_receiver.attempts == 3
    assert [x["guid"] for x in flaky_receiver.received] == [lead["guid"]]
    wait_until(lambda: _callbacks_settled(db, portal.id), what="the outbox to settle")
    assert db.read_call(service.queue_status, portal.id).callbacks["done"] == 1


def test_each_portal_has_its_own_callback_url(portal, other_portal, receiver):
    with portal.client() as client:
        client.post("/leads/v1/callback-url", params={"url": receiver.url})
    with other_portal.client() as client:
        assert client.get("/leads/v1/callback-url").status_code == 404

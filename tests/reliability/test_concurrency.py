"""Concurrent writers on one lead and one unique value: no lost update, no duplicate."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from tests.reliability.helpers import make_lead


def _race(workers: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def run(fn: Callable[[], None]) -> None:
        try:
            start.wait(10)
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_v1_puts_and_v3_patches_on_one_lead_lose_no_update(db, portal):
    guid = make_lead(db, portal.id, email="race@example.com")
    with portal.client() as c:
        lead = c.get(f"/leads/v1/lead/{guid}").json()[0]
        contact_id = c.get("/crm/v3/objects/contacts/race@example.com",
                           params={"idProperty": "email"}).json()["id"]
    rounds = 15
    v1_fields = ["city", "state", "zip", "company"]
    v3_props = ["jobtitle", "phone", "website", "industry"]

    def v1_writer(field: str) -> Callable[[], None]:
        def run() -> None:
            with portal.client() as c:
                for i in range(rounds):
                    r = c.put(f"/leads/v1/lead/{guid}", json={"guid": guid, field: f"{field}{i}"})
                    assert r.status_code == 200, r.text
        return run

    def v3_writer(prop: str) -> Callable[[], None]:
        def run() -> None:
            with portal.client() as c:
                for i in range(rounds):
                    r = c.patch(f"/crm/v3/objects/contacts/{contact_id}",
                                json={"properties": {prop: f"{prop}{i}"}})
                    assert r.status_code == 200, r.text
        return run

    errors = _race([*(v1_writer(f) for f in v1_fields), *(v3_writer(p) for p in v3_props)])
    assert not errors, errors
    last = rounds - 1
    with portal.client() as c:
        got = c.get(f"/leads/v1/lead/{guid}").json()[0]
        for field in v1_fields:
            assert got[field] == f"{field}{last}", (field, got[field])
        props = c.get(f"/crm/v3/objects/contacts/{contact_id}",
                      params={"properties": ",".join(v3_props)}).json()["properties"]
        for prop in v3_props:
            assert props[prop] == f"{prop}{last}", (prop, props[prop])
        assert got["firstName"] == lead["firstName"]


def test_concurrent_batch_upserts_on_one_email_make_one_contact(portal):
    _upsert_race(portal, allow_conflict=True)


def test_concurrent_batch_upserts_on_one_email_all_succeed(portal):
    _upsert_race(portal, allow_conflict=False)


def _upsert_race(portal, *, allow_conflict: bool) -> None:  # type: ignore[no-untyped-def]
    email = f"upsert-race-{allow_conflict}@example.com"
    ok = (200, 201, 207, 409) if allow_conflict else (200, 201, 207)

    def upsert(n: int) -> Callable[[], None]:
        def run() -> None:
            with portal.client() as c:
                r = c.post("/crm/v3/objects/contacts/batch/upsert", json={"inputs": [
                    {"id": email, "idProperty": "email",
                     "properties": {"email": email, "firstname": f"W{n}"}}]})
                assert r.status_code in ok, r.text
                assert r.status_code != 207 or not r.json().get("errors"), r.text
        return run

    errors = _race([upsert(n) for n in range(8)])
    assert not errors, errors
    with portal.client() as c:
        r = c.post("/crm/v3/objects/contacts/search", json={"filterGroups": [{"filters": [
            {"propertyName": "email", "operator": "EQ", "value": email}]}]})
        assert r.json()["total"] == 1, r.text


def test_concurrent_form_posts_for_one_email_make_one_lead(db, portal, server):
    from leadhub.ingest import service as ingest_service

    db.write_call(ingest_service.create_form, portal.id, "Race")
    guids: list[str] = []
    lock = threading.Lock()

    def post(n: int) -> Callable[[], None]:
        def run() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as c:
                for i in range(5):
                    r = c.post(f"/?app=leaddirector&FormName=Race&portalId={portal.id}",
                               data={"Email": " Same@Example.com ", "UserToken": f"u{n}",
                                     "IPAddress": "127.0.0.1", "FirstName": f"N{n}-{i}"})
                    assert r.status_code == 200, r.text
                    with lock:
                        guids.append(r.text.split("submissionGuid=")[1].strip())
        return run

    errors = _race([post(n) for n in range(8)])
    assert not errors, errors
    import time

    with portal.client() as c:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = c.get("/leads/v1/lead", params={"email": "same@example.com"})
            if r.status_code == 200 and r.json()[0]["numConversionEvents"] == len(guids):
                break
            time.sleep(0.2)
        lead = r.json()[0]
        assert lead["numConversionEvents"] == len(guids) == 40
        assert {e["guid"] for e in lead["leadConversionEvents"]} == set(guids)
        listed = c.get("/leads/v1/list", params={"search": "same@example.com", "max": 100})
        assert len(listed.json()) == 1

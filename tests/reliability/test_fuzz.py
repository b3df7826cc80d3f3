"""Schemathesis against a real server: no 5xx, no answer outside the published schemas.

Three kinds of runs, each on SQLite and PostgreSQL:

- leadhub's own document (``GET /openapi.json``), operation by operation, with
  every check that applies to a document leadhub writes itself: no server
  error, documented status code, documented content type, body conforming to
  the documented schema;
- the same document statefully: sequences that follow its OpenAPI links
  (create -> read, update, archive) and the links Schemathesis infers;
- each of HubSpot's published files in ``spec/hubspot/``, for the operations
  leadhub implements: no server error and bodies conforming to HubSpot's
  schemas, with the narrow exclusions written down in docs/reliability.md.

``make test`` runs a few deterministic examples per operation (Hypothesis
``derandomize``); ``make soak`` (``LEADHUB_SOAK=1``) runs many more, randomly.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leadhub.openapi import document
from leadhub.store import Database
from tests.conftest import PortalCtx, Server, make_portal, start_server
from tests.ingest.helpers import make_form

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT / "spec" / "hubspot"
SOAK = os.environ.get("LEADHUB_SOAK") == "1"
EXAMPLES = 100 if SOAK else 3
SCENARIOS = 200 if SOAK else 8
STEPS = 10 if SOAK else 4

OWN_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_server(
    db: Database, store_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = start_server(store_url, tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()
    # A 5xx is also logged with its traceback; none may have happened.
    assert "Traceback" not in srv.log(), srv.log()


@pytest.fixture(scope="module")
def fuzz_portal(db: Database, fuzz_server: Server) -> PortalCtx:
    """A portal with a little of everything, so generated ids sometimes exist."""
    portal = make_portal(db, fuzz_server, "Fuzz portal")
    make_form(db, portal)
    with portal.client() as client:
        contact = client.post("/crm/v3/objects/contacts", json={
            "properties": {"email": "fuzz@example.com", "firstname": "Fuzz"}})
        assert contact.status_code == 201, contact.text
        company = client.post("/crm/v3/objects/companies", json={
            "properties": {"name": "Fuzz Inc"}})
        assert company.status_code == 201, company.text
        lead = client.post("/crm/v3/objects/leads", json={
            "properties": {"hs_lead_name": "Fuzz lead"},
            "associations": [{"to": {"id": contact.json()["id"]}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
        })
        assert lead.status_code == 201, lead.text
    return portal


def _settings(examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples,
        derandomize=not SOAK,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )


def _load(raw: dict[str, Any]) -> Any:
    schema = schemathesis.openapi.from_dict(raw)
    # The bearer header is the credential; generated query credentials would only be 401s.
    schema.config.generation.update(with_security_parameters=False)
    return schema


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation: Any, server: Server, portal: PortalCtx, checks: list[Any]) -> None:
    """Positive and negative examples of one operation, each answer checked."""
    strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )
    headers = {"Authorization": f"Bearer {portal.token}"}

    @_settings(EXAMPLES)
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        case.call_and_validate(base_url=server.url, headers=headers, checks=checks)

    run()


OWN = _load(json.loads(document()))


def test_served_document_is_the_packaged_one(fuzz_server: Server) -> None:
    response = httpx.get(f"{fuzz_server.url}/openapi.json")  # no credential needed
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == json.loads(document())


@pytest.mark.parametrize("operation", _operations(OWN), ids=lambda op: op.label)
def test_own_document(operation: Any, fuzz_server: Server, fuzz_portal: PortalCtx) -> None:
    _fuzz(operation, fuzz_server, fuzz_portal, OWN_CHECKS)


def test_own_document_stateful(fuzz_server: Server, fuzz_portal: PortalCtx) -> None:
    base = OWN.as_state_machine()
    headers = {"Authorization": f"Bearer {fuzz_portal.token}"}

    class Machine(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": fuzz_server.url, "headers": headers}

        def validate_response(  # type: ignore[no-untyped-def]
            self, response, case, additional_checks=None, **kwargs
        ) -> None:
            case.validate_response(response, checks=OWN_CHECKS, transport_kwargs=kwargs)

    settings = _settings(SCENARIOS)
    Machine.run(settings=hypothesis.settings(settings, stateful_step_count=STEPS))


# --- HubSpot's published files ------------------------------------------------

def _unlisted_success(case: Any, response: Any) -> bool:
    """A 2xx answer whose status the operation does not list (it falls to ``default``).

    crm-objects-v3.json lists only 200 and ``default`` (an error) for creates and
    batches; HubSpot answers 201 for creates and 207 for batches with per-input
    errors, as crm-leads-v3.json lists them, and so does leadhub. Such an answer is
    checked against leadhub's own document instead (``test_own_document``).
    """
    responses = case.operation.definition.raw.get("responses", {})
    return 200 <= response.status_code < 300 and str(response.status_code) not in responses


def hubspot_schema_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    if _unlisted_success(case, response):
        return None
    return response_schema_conformance(ctx, response, case)


def _published(name: str) -> dict[str, Any]:
    spec = json.loads((SPEC_DIR / name).read_text())
    if name == "crm-associations-schema-v4.json":
        # This file types an error's subCategory as an object; HubSpot sends a string
        # (crm-objects-v3.json says string), and so does leadhub.
        spec = copy.deepcopy(spec)
        for schema in spec["components"]["schemas"].values():
            sub = schema.get("properties", {}).get("subCategory")
            if sub is not None and sub.get("type") == "object":
                sub["type"] = "string"
    return spec


SPECS = (
    "crm-leads-v3.json",
    "crm-objects-v3.json",
    "crm-properties-v3.json",
    "crm-associations-v4.json",
    "crm-associations-schema-v4.json",
)
HUBSPOT = [
    pytest.param(op, id=f"{name}:{op.label}")
    for name in SPECS
    for op in _operations(_load(_published(name)))
    # The one published operation leadhub does not implement (docs/api-coverage.md).
    if "/usage/high-usage-report/" not in op.path
]


@pytest.mark.parametrize("operation", HUBSPOT)
def test_hubspot_documents(operation: Any, fuzz_server: Server, fuzz_portal: PortalCtx) -> None:
    _fuzz(operation, fuzz_server, fuzz_portal, [not_a_server_error, hubspot_schema_conformance])

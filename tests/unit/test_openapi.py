"""leadhub's own OpenAPI document: fresh, valid OpenAPI 3, and in step with the routes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from starlette.routing import Match

from leadhub.openapi import document

ROOT = Path(__file__).resolve().parents[2]


def _generator():  # type: ignore[no-untyped-def]
    path = ROOT / "scripts" / "openapi.py"
    spec = importlib.util.spec_from_file_location("openapi_generator", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    return _generator()


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(document())


def test_committed_document_is_fresh(gen) -> None:  # type: ignore[no-untyped-def]
    assert gen.OUT.read_text() == gen.render(), (
        "src/leadhub/openapi.json is stale: run `python scripts/openapi.py` and commit it"
    )


def test_document_is_valid_openapi_3(doc: dict) -> None:
    validate(doc)  # raises on any violation of the OpenAPI 3.0 schema
    assert doc["openapi"].startswith("3.0")


def _operations(doc: dict) -> list[tuple[str, str]]:
    return [(m, p) for p, item in doc["paths"].items() for m in item if m in
            ("get", "post", "put", "patch", "delete")]


def test_every_documented_operation_is_served(gen, doc: dict) -> None:  # type: ignore[no-untyped-def]
    routes = gen.routes()
    missing = [(m, p) for m, p in _operations(doc) if not gen.served(routes, m, p)]
    assert missing == []


def _undocumented(gen, routes: list, ops: list[tuple[str, str]]) -> list[str]:  # type: ignore[no-untyped-def]
    """Route methods that match no documented operation (a trailing-slash twin of a route
    counts as documented with its twin)."""
    out = []
    for route in routes:
        for method in sorted(route.methods - {"HEAD"}):
            slash = "/" if route.path != "/" and route.path.endswith("/") else ""
            if not any(
                m == method.lower() and route.matches({
                    "type": "http", "method": method, "path": gen.concrete(p) + slash,
                    "root_path": "", "query_string": b"", "headers": [],
                })[0] == Match.FULL
                for m, p in ops
            ):
                out.append(f"{method} {route.path}")
    return out


def test_every_route_is_documented(gen, doc: dict) -> None:  # type: ignore[no-untyped-def]
    assert _undocumented(gen, gen.routes(), _operations(doc)) == []


def test_drift_is_detected(gen, doc: dict) -> None:  # type: ignore[no-untyped-def]
    """The two checks above fail when the document and the routes part ways."""
    from starlette.routing import Route

    extra = Route("/leads/v1/new-thing", lambda r: None, methods=["GET"])
    assert _undocumented(gen, [*gen.routes(), extra], _operations(doc)) == [
        "GET /leads/v1/new-thing"]
    fewer = [r for r in gen.routes() if r.path != "/leads/v1/list"]
    assert not gen.served(fewer, "get", "/leads/v1/list")


def test_v1_lead_schema_names_every_field_of_the_example_lead(doc: dict) -> None:
    example = json.loads((ROOT / "tests" / "data" / "seed-000-example-lead.json").read_text())[0]
    lead = doc["components"]["schemas"]["V1Lead"]
    assert sorted(lead["properties"]) == sorted(example)
    assert sorted(lead["required"]) == sorted(example)

"""docs/api-coverage.md's generated block matches the spec files and today's routes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():  # type: ignore[no-untyped-def]
    path = ROOT / "scripts" / "api_coverage.py"
    spec = importlib.util.spec_from_file_location("api_coverage", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_coverage_is_fresh():
    gen = _generator()
    current = gen.DOC.read_text()
    assert gen.updated(current) == current, (
        "docs/api-coverage.md is stale: run `python scripts/api_coverage.py` and commit it"
    )


def test_every_spec_operation_is_listed_once():
    gen = _generator()
    block = gen.render()

    for name in gen.SPECS:
        doc = json.loads((gen.SPEC_DIR / name).read_text())
        for path, ops in doc["paths"].items():
            for method in gen.METHODS:
                if method in ops:
                    assert block.count(f"| `{method.upper()}` | `{path}` |") == 1


def test_generator_keeps_text_outside_its_block():
    gen = _generator()
    text = f"# API coverage\n\nhand-written v1\n\n{gen.BEGIN}\nold\n{gen.END}\n\nform insert\n"
    out = gen.updated(text)
    assert out.startswith("# API coverage\n\nhand-written v1\n\n")
    assert out.endswith(f"{gen.END}\n\nform insert\n")
    assert "old" not in out and "| `POST` | `/crm/v3/objects/leads` |" in out

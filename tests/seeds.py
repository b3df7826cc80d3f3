"""The example JSON of HubSpot's documents, read from the shared seed files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def example_lead(base_url: str) -> dict[str, Any]:
    """The documents' example lead, with its links pointing at ``base_url``."""
    text = next(SEEDS.glob("000_*.txt")).read_text()
    start = text.index("Example JSON output:") + len("Example JSON output:")
    lead = json.loads(text[start:])[0]
    for key in ("leadJsonLink", "leadLink", "publicLeadLink"):
        for host in ("https://api.hubapi.com", "https://app.hubspot.com"):
            lead[key] = lead[key].replace(host, base_url)
    return lead

"""The example JSON of HubSpot's documents (seed 000), kept with the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


def example_lead(base_url: str) -> dict[str, Any]:
    """The documents' example lead, with its links pointing at ``base_url``."""
    lead = json.loads((DATA / "seed-000-example-lead.json").read_text())[0]
    for key in ("leadJsonLink", "leadLink", "publicLeadLink"):
        for host in ("https://api.hubapi.com", "https://app.hubspot.com"):
            lead[key] = lead[key].replace(host, base_url)
    return lead

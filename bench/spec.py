"""HubSpot's leads OpenAPI file with the lead under test as the example Prism serves."""

from __future__ import annotations

import copy
from typing import Any

GET_PATH = "/crm/v3/objects/leads/{leadsId}"


def leads_spec(spec: dict[str, Any], lead: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec whose GET-by-id example is ``lead`` (so Prism sends the same bytes)."""
    out = copy.deepcopy(spec)
    response = out["paths"][GET_PATH]["get"]["responses"]["200"]["content"]["application/json"]
    response["example"] = [lead]
    return out

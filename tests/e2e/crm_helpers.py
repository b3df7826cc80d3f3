"""Helpers for the CRM v3 tests: an official client per portal, and HubSpot's error bodies."""

from __future__ import annotations

import gc
import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm import companies, contacts, objects, properties
from hubspot.crm.objects import leads

from tests.conftest import PortalCtx

# Each API package of the client raises its own ApiException class.
ApiError = (
    contacts.ApiException,
    companies.ApiException,
    objects.ApiException,
    leads.ApiException,
    properties.ApiException,
)


def client(portal: PortalCtx) -> HubSpot:
    """hubspot-api-client pointed at the test server, unchanged."""
    return HubSpot(access_token=portal.token, host=portal.server.url)


def error_of(exc: Any) -> dict[str, Any]:
    """The HubSpot error body an ApiException carries."""
    body = json.loads(exc.body)
    assert {"status", "message", "correlationId", "category"} <= set(body)
    return body


def primary(contact_id: str, type_id: int = 578) -> list[dict[str, Any]]:
    """The ``associations`` input tying a new lead to a contact."""
    return [{"to": {"id": contact_id},
             "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}]


@pytest.fixture(autouse=True)
def release_client_sockets() -> Iterator[None]:
    """Collect the client's connection pools after each test.

    hubspot-api-client builds a new urllib3 pool on every API attribute access
    and never closes it; its keep-alive sockets would otherwise be finalized
    (with a ResourceWarning) in whatever test happens to run next.
    """
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()

"""The v3 wire shapes: SimplePublicObject (with history and associations), batches, pages."""

from __future__ import annotations

from typing import Any

from leadhub import crm_types as ct
from leadhub.crm.objects import ObjectView
from leadhub.values import ms_to_iso

# Names HubSpot shows for HUBSPOT_DEFINED association types in v3 reads.
ASSOCIATION_NAMES: dict[int, str] = {
    ct.LEAD_TO_PRIMARY_CONTACT: "lead_to_primary_contact",
    ct.PRIMARY_CONTACT_TO_LEAD: "primary_contact_to_lead",
    ct.LEAD_TO_CONTACT: "lead_to_contact",
    ct.CONTACT_TO_LEAD: "contact_to_lead",
    ct.LEAD_TO_COMPANY: "lead_to_company",
    ct.COMPANY_TO_LEAD: "company_to_lead",
    1: "contact_to_company",
    2: "company_to_contact",
    279: "contact_to_company_unlabeled",
    280: "company_to_contact_unlabeled",
}


def association_name(from_type: str, to_type: str, type_id: int) -> str:
    """HubSpot's v3 name of an association type (``lead_to_primary_contact``, ...)."""
    known = ASSOCIATION_NAMES.get(type_id)
    if known is not None:
        return known
    names = {ct.LEADS: "lead", ct.CONTACTS: "contact", ct.COMPANIES: "company"}
    return f"{names.get(from_type, from_type)}_to_{names.get(to_type, to_type)}"


def obj(view: ObjectView) -> dict[str, Any]:
    """One object as SimplePublicObject(WithAssociations)."""
    row = view.row
    out: dict[str, Any] = {
        "id": str(row.id),
        "properties": view.properties,
        "createdAt": ms_to_iso(row.created_at),
        "updatedAt": ms_to_iso(row.updated_at),
        "archived": row.archived,
    }
    if row.archived and row.archived_at is not None:
        out["archivedAt"] = ms_to_iso(row.archived_at)
    if view.history is not None:
        out["propertiesWithHistory"] = {
            name: [
                {
                    "value": h["value"] if h["value"] is not None else "",
                    "timestamp": ms_to_iso(h["timestamp"]),
                    "sourceType": h["sourceType"],
                    **({"sourceId": h["sourceId"]} if h.get("sourceId") else {}),
                }
                for h in entries
            ]
            for name, entries in view.history.items()
        }
    if view.associations:
        out["associations"] = {
            name: {
                "results": [
                    {"id": str(link.to_id),
                     "type": association_name(link.from_type, link.to_type, link.type_id)}
                    for link in links
                ]
            }
            for name, links in view.associations.items()
        }
    if view.new is not None:
        out["new"] = view.new
    return out


def batch(started_at: int, completed_at: int, results: list[dict[str, Any]],
          errors: list[dict[str, Any]]) -> dict[str, Any]:
    """A BatchResponse: COMPLETE, with errors and numErrors when any item failed."""
    out: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": ms_to_iso(started_at),
        "completedAt": ms_to_iso(completed_at),
    }
    if errors:
        out["numErrors"] = len(errors)
        out["errors"] = errors
    return out

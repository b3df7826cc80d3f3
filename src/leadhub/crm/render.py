"""The v3 wire shapes: SimplePublicObject (with history and associations), batches, pages."""

from __future__ import annotations

from typing import Any

from leadhub.crm.objects import ObjectView
from leadhub.values import ms_to_iso


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
        out["associations"] = view.associations
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

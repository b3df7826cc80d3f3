"""Batch read, create and archive of property definitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from leadhub.crm import properties as svc
from leadhub.errors import LeadhubError, ValidationError


def _names(body: Any) -> list[str]:
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(
        isinstance(i, dict) and isinstance(i.get("name"), str) for i in inputs
    ):
        raise ValidationError("inputs must be a list of {name} objects")
    return [i["name"] for i in inputs]


def _error(exc: LeadhubError, name: str) -> dict[str, Any]:
    return {"status": "error", "category": exc.category, "message": exc.message,
            "context": {"name": [name]}, "errors": exc.errors, "links": {}}


def batch_read(
    conn: Connection, portal_id: int, object_type: str, body: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(found definitions, per-name errors) for a BatchReadInputPropertyName."""
    archived = bool(body.get("archived")) if isinstance(body, dict) else False
    live, gone = svc.all_definitions(conn, portal_id, object_type)
    pool = gone if archived else live
    found, errors = [], []
    for name in _names(body):
        if name in pool:
            found.append(pool[name])
        else:
            errors.append(_error(svc._not_found(object_type, name), name))
    return found, errors


def batch_create(
    conn: Connection, portal_id: int, object_type: str, body: Any, at: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Create each input; the ones that fail are per-item errors (207)."""
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list):
        raise ValidationError("inputs must be a list of PropertyCreate objects")
    created, errors = [], []
    for item in inputs:
        try:
            created.append(svc.create_property(conn, portal_id, object_type, item, at))
        except (ValidationError, LeadhubError) as exc:
            name = item.get("name") if isinstance(item, dict) else None
            errors.append(_error(exc, str(name)))
    return created, errors


def batch_archive(conn: Connection, portal_id: int, object_type: str, body: Any, at: int) -> None:
    """Archive each named custom property that exists."""
    for name in _names(body):
        try:
            svc.archive_property(conn, portal_id, object_type, name, at)
        except LeadhubError:
            continue

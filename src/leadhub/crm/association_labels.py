"""Custom association labels (the v4 associations schema API).

A label is a USER_DEFINED association type between two object types, with
a type id in each direction (the reverse carries ``inverseLabel``, or the
same label). Type ids are allocated per portal, skipping HubSpot's defined
ids so that a type id names one type for a pair of object types.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.crm import association_types as types
from leadhub.crm.association_types import AssocType
from leadhub.errors import Conflict, NotFound, ValidationError
from leadhub.store import association_labels as label_store
from leadhub.store import associations as assoc_store
from leadhub.store.association_labels import LabelRow
from leadhub.values import digits

MAX_LABEL_LENGTH = 100


def list_labels(
    conn: Connection, portal_id: int, from_type: str, to_type: str
) -> list[AssocType]:
    """Every type from one object type to another (defined, then custom)."""
    types.require_pair(from_type, to_type)
    return types.types_between(conn, portal_id, from_type, to_type)


def _text(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{key} must be a non-empty string", context={key: [str(value)]})
    if len(value) > MAX_LABEL_LENGTH:
        raise ValidationError(f"{key} must be at most {MAX_LABEL_LENGTH} characters")
    return value.strip()


def _next_ids(conn: Connection, portal_id: int, count: int) -> list[int]:
    taken = label_store.used_ids(conn, portal_id) | set(ct.DEFINED_BY_ID)
    out: list[int] = []
    candidate = max(label_store.used_ids(conn, portal_id) or {0}) + 1
    while len(out) < count:
        if candidate not in taken:
            out.append(candidate)
        candidate += 1
    return out


def create_label(
    conn: Connection, portal_id: int, from_type: str, to_type: str, body: object, at: int
) -> list[AssocType]:
    """Create a label (and its reverse); returns both directions, this one first."""
    types.require_pair(from_type, to_type)
    if not isinstance(body, dict):
        raise ValidationError("the request body must be an object with label and name")
    label = _text(body, "label", required=True)
    name = _text(body, "name", required=True)
    inverse = _text(body, "inverseLabel", required=False)
    assert label is not None and name is not None
    existing = types.types_between(conn, portal_id, from_type, to_type)
    if any(t.name.lower() == name.lower() for t in existing):
        raise Conflict(
            f"an association type named {name} already exists "
            f"from {types.type_name(from_type)} to {types.type_name(to_type)}",
            context={"name": [name]},
        )
    forward_id, reverse_id = _next_ids(conn, portal_id, 2)
    rows = [
        LabelRow(forward_id, from_type, to_type, reverse_id, name, label),
        LabelRow(reverse_id, to_type, from_type, forward_id, name, inverse or label),
    ]
    label_store.insert(conn, portal_id, rows, at)
    return [
        types.by_id(conn, portal_id, from_type, to_type)[forward_id],
        types.by_id(conn, portal_id, to_type, from_type)[reverse_id],
    ]


def _custom(
    conn: Connection, portal_id: int, from_type: str, to_type: str, raw_id: object
) -> LabelRow:
    types.require_pair(from_type, to_type)
    type_id = (
        int(raw_id) if isinstance(raw_id, str) and digits(raw_id.strip()) else raw_id
    )
    if isinstance(type_id, bool) or not isinstance(type_id, int):
        raise ValidationError(f"associationTypeId must be an integer (got {raw_id!r})")
    defined = ct.DEFINED_BY_ID.get(type_id)
    if defined is not None and defined.from_type == from_type and defined.to_type == to_type:
        raise ValidationError(
            f"association type {type_id} is HUBSPOT_DEFINED and cannot be changed or deleted"
        )
    row = label_store.get(conn, portal_id, type_id)
    if row is None or row.from_type != from_type or row.to_type != to_type:
        raise NotFound(
            f"No association label with type id {type_id} "
            f"from {types.type_name(from_type)} to {types.type_name(to_type)}",
            context={"associationTypeId": [str(type_id)]},
        )
    return row


def update_label(
    conn: Connection, portal_id: int, from_type: str, to_type: str, body: object
) -> None:
    """Rename a label (and its reverse when ``inverseLabel`` is given)."""
    if not isinstance(body, dict):
        raise ValidationError("the request body must be an object with associationTypeId and label")
    if "associationTypeId" not in body:
        raise ValidationError("associationTypeId is required")
    row = _custom(conn, portal_id, from_type, to_type, body["associationTypeId"])
    label = _text(body, "label", required=True)
    inverse = _text(body, "inverseLabel", required=False)
    label_store.set_label(conn, portal_id, row.type_id, label)
    if inverse is not None and row.reverse_type_id != row.type_id:
        label_store.set_label(conn, portal_id, row.reverse_type_id, inverse)


def delete_label(
    conn: Connection, portal_id: int, from_type: str, to_type: str, raw_id: str
) -> None:
    """Delete a label in both directions; associated pairs keep their unlabeled type."""
    row = _custom(conn, portal_id, from_type, to_type, raw_id)
    ids = sorted({row.type_id, row.reverse_type_id})
    assoc_store.remove_type_everywhere(conn, portal_id, ids)
    label_store.delete(conn, portal_id, ids)
    label_store.delete_limits(conn, portal_id, ids)


__all__ = ["create_label", "delete_label", "list_labels", "update_label"]

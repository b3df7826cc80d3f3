"""Batch association writes (v4): create, associate default, archive, archive labels.

A malformed body is refused whole (400, nothing written). Each well-formed
input then succeeds or fails on its own, inside a savepoint, and failures are
reported per input (HubSpot's 207 multi-status).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from leadhub.crm import association_types as types
from leadhub.crm import associations as svc
from leadhub.crm.associations import Pair
from leadhub.errors import LeadhubError, NotFound, ValidationError

MAX_READ_INPUTS = 1000  # HubSpot's guide: batch read takes up to 1,000 ids
MAX_WRITE_INPUTS = 2000

T = TypeVar("T")


@dataclass
class BatchWrite:
    """Per-input results and errors of a batch write."""

    pairs: list[Pair] = field(default_factory=list)
    errors: list[LeadhubError] = field(default_factory=list)


def inputs_of(body: object, most: int) -> list[dict[str, Any]]:
    """The ``inputs`` list of a batch body; 400 if missing, not objects, or too many."""
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise ValidationError("the request body must be an object with an inputs list")
    inputs = body["inputs"]
    if len(inputs) > most:
        raise ValidationError(
            f"too many inputs: {len(inputs)} (at most {most} per batch)",
            context={"maxInputs": [str(most)]},
        )
    if not all(isinstance(i, dict) for i in inputs):
        raise ValidationError("each input must be an object")
    return inputs


def _object_id(item: dict[str, Any], key: str) -> object:
    ref = item.get(key)
    if not isinstance(ref, dict) or "id" not in ref:
        raise ValidationError(f"each input needs {key}: {{id}}")
    return ref["id"]


def _each(
    conn: Connection, items: list[T], fn: Callable[[T], Pair | None], out: BatchWrite
) -> None:
    for item in items:
        try:
            with conn.begin_nested():
                pair = fn(item)
        except (NotFound, ValidationError) as exc:
            out.errors.append(exc)
            continue
        if pair is not None:
            out.pairs.append(pair)


def _typed_pairs(
    conn: Connection, portal_id: int, from_type: str, to_type: str, body: object
) -> list[tuple[object, object, list[Any]]]:
    """``(from id, to id, resolved types)`` of ``{inputs: [{from, to, types}]}``."""
    types.require_pair(from_type, to_type)
    return [
        (
            _object_id(item, "from"),
            _object_id(item, "to"),
            types.resolve_specs(conn, portal_id, from_type, to_type, item.get("types")),
        )
        for item in inputs_of(body, MAX_WRITE_INPUTS)
    ]


def batch_create(
    conn: Connection, portal_id: int, from_type: str, to_type: str, body: object, at: int
) -> BatchWrite:
    """POST .../batch/create: ``{inputs: [{from: {id}, to: {id}, types: [...]}]}``."""
    parsed = _typed_pairs(conn, portal_id, from_type, to_type, body)
    out = BatchWrite()
    _each(
        conn,
        parsed,
        lambda p: svc.associate(conn, portal_id, from_type, p[0], to_type, p[1], p[2], at),
        out,
    )
    return out


def batch_default(
    conn: Connection, portal_id: int, from_type: str, to_type: str, body: object, at: int
) -> BatchWrite:
    """POST .../batch/associate/default: ``{inputs: [{from: {id}, to: {id}}]}``."""
    types.require_pair(from_type, to_type)
    inputs = inputs_of(body, MAX_WRITE_INPUTS)
    parsed = [(_object_id(i, "from"), _object_id(i, "to")) for i in inputs]
    out = BatchWrite()
    _each(
        conn,
        parsed,
        lambda p: svc.associate(conn, portal_id, from_type, p[0], to_type, p[1], [], at),
        out,
    )
    return out


def batch_archive(
    conn: Connection, portal_id: int, from_type: str, to_type: str, body: object, at: int
) -> BatchWrite:
    """POST .../batch/archive: remove every association of each ``from`` with its ``to`` list."""
    types.require_pair(from_type, to_type)
    inputs = inputs_of(body, MAX_WRITE_INPUTS)
    parsed: list[tuple[object, object]] = []
    for item in inputs:
        targets = item.get("to")
        if not isinstance(targets, list) or not all(
            isinstance(t, dict) and "id" in t for t in targets
        ):
            raise ValidationError("each input needs to: [{id}, ...]")
        parsed.extend((_object_id(item, "from"), t["id"]) for t in targets)
    out = BatchWrite()
    _each(
        conn,
        parsed,
        lambda p: svc.disassociate(conn, portal_id, from_type, p[0], to_type, p[1], None, at),
        out,
    )
    return out


def batch_archive_labels(
    conn: Connection, portal_id: int, from_type: str, to_type: str, body: object, at: int
) -> BatchWrite:
    """POST .../batch/labels/archive: remove the given types from each pair."""
    parsed = _typed_pairs(conn, portal_id, from_type, to_type, body)
    out = BatchWrite()
    _each(
        conn,
        parsed,
        lambda p: svc.disassociate(conn, portal_id, from_type, p[0], to_type, p[1], p[2], at),
        out,
    )
    return out


__all__ = [
    "MAX_READ_INPUTS",
    "MAX_WRITE_INPUTS",
    "BatchWrite",
    "batch_archive",
    "batch_archive_labels",
    "batch_create",
    "batch_default",
    "inputs_of",
]

"""CRM v3 batch reads and writes: read, create, update, upsert, archive.

HubSpot's limits: at most 100 inputs, 50 when ``propertiesWithHistory`` is
asked. Ids that do not exist are reported per item (207 multi-status); an
invalid value anywhere fails the whole batch with nothing written, as
HubSpot does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from leadhub.crm import objects as svc
from leadhub.crm.objects import ObjectView, Want
from leadhub.crm.properties import definitions
from leadhub.crm.types import singular
from leadhub.errors import Conflict, ValidationError
from leadhub.store import objects as obj_store
from leadhub.store.objects import Change
from leadhub.util import now_ms

MAX_INPUTS = 100
MAX_INPUTS_WITH_HISTORY = 50


@dataclass
class BatchResult:
    """Results and per-item errors of one batch call."""

    started_at: int
    results: list[ObjectView] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _inputs(body: Any, limit: int = MAX_INPUTS) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise ValidationError("the request body must be an object with an inputs list",
                              errors=[{"message": "inputs is required", "code": "REQUIRED_FIELD"}])
    inputs = body["inputs"]
    if len(inputs) > limit:
        raise ValidationError(
            f"Batch input size exceeds limit: {len(inputs)} inputs given, at most {limit}",
            errors=[{"message": f"at most {limit} inputs", "code": "TOO_MANY_INPUTS",
                     "context": {"limit": [str(limit)]}}],
        )
    return inputs


def _id_of(item: Any, i: int) -> str:
    value = item.get("id") if isinstance(item, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"inputs[{i}].id must be a string",
                              errors=[{"message": f"inputs[{i}].id is required",
                                       "code": "REQUIRED_FIELD"}])
    return value


def _missing(object_type: str, keys: list[str]) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": f"Could not get some {singular(object_type)} objects, they may be deleted "
                   "or not exist. Check that ids are valid.",
        "context": {"ids": keys},
        "errors": [],
        "links": {},
    }


def _names(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{what} must be a list of property names")
    return value


def batch_read(
    conn: Connection, portal_id: int, object_type: str, body: Any, *, archived: bool = False
) -> BatchResult:
    """Read objects by id or by a unique property (``idProperty``)."""
    started = now_ms()
    want = Want(_names(body.get("properties") if isinstance(body, dict) else None, "properties"),
                _names(body.get("propertiesWithHistory") if isinstance(body, dict) else None,
                       "propertiesWithHistory"))
    inputs = _inputs(body, MAX_INPUTS_WITH_HISTORY if want.history else MAX_INPUTS)
    id_property = body.get("idProperty") or None
    defs = definitions(conn, portal_id, object_type)
    keys = [_id_of(item, i) for i, item in enumerate(inputs)]
    found, missing, seen = [], [], set()
    for key in keys:
        object_id = svc.resolve_id(conn, portal_id, object_type, key, id_property, defs)
        row = (obj_store.get(conn, portal_id, object_type, object_id, include_archived=True)
               if object_id is not None else None)
        if row is None or row.archived != archived:
            missing.append(key)
        elif row.id not in seen:
            seen.add(row.id)
            found.append(row)
    result = BatchResult(started, svc.views(conn, portal_id, found, want, defs=defs))
    if missing:
        result.errors.append(_missing(object_type, missing))
    return result


def batch_create(
    conn: Connection, portal_id: int, object_type: str, body: Any, change: Change
) -> BatchResult:
    """Create every input or none."""
    started = now_ms()
    defs = definitions(conn, portal_id, object_type)
    rows = []
    for i, item in enumerate(_inputs(body)):
        try:
            rows.append(svc.create_row(conn, portal_id, object_type, item, change, defs))
        except ValidationError as exc:
            exc.message = f"inputs[{i}]: {exc.message}"
            raise
    extra = {k for r in rows for k in r.props}
    return BatchResult(started, svc.views(conn, portal_id, rows, Want(), defs=defs, extra=extra))


def batch_update(
    conn: Connection, portal_id: int, object_type: str, body: Any, change: Change
) -> BatchResult:
    """Update the inputs that exist; unknown ids are per-item errors, bad values fail all."""
    started = now_ms()
    defs = definitions(conn, portal_id, object_type)
    rows, missing, written = [], [], set()
    for i, item in enumerate(_inputs(body)):
        key = _id_of(item, i)
        object_id = svc.resolve_id(conn, portal_id, object_type, key, item.get("idProperty"), defs)
        row = (obj_store.get(conn, portal_id, object_type, object_id, for_update=True)
               if object_id is not None else None)
        if row is None:
            missing.append(key)
            continue
        props = item.get("properties", {})
        svc.update_row(conn, row, props, change, defs)
        written |= set(props) if isinstance(props, dict) else set()
        rows.append(row)
    result = BatchResult(started, svc.views(conn, portal_id, rows, Want(), defs=defs,
                                            extra=written))
    if missing:
        result.errors.append(_missing(object_type, missing))
    return result


def batch_upsert(
    conn: Connection, portal_id: int, object_type: str, body: Any, change: Change
) -> BatchResult:
    """Update the object holding each unique value, or create it with that value."""
    started = now_ms()
    defs = definitions(conn, portal_id, object_type)
    out: list[ObjectView] = []
    for i, item in enumerate(_inputs(body)):
        key = _id_of(item, i)
        id_property = item.get("idProperty")
        if not isinstance(id_property, str) or not id_property:
            raise ValidationError(f"inputs[{i}].idProperty must name a unique-value property")
        object_id = svc.resolve_id(conn, portal_id, object_type, key, id_property, defs)
        row = (obj_store.get(conn, portal_id, object_type, object_id, for_update=True)
               if object_id is not None else None)
        props = item.get("properties", {})
        if row is not None:
            svc.update_row(conn, row, props, change, defs)
            new = False
        elif id_property == "hs_object_id":
            raise ValidationError(f"inputs[{i}]: no {singular(object_type)} has id {key}")
        else:
            merged = {**(props if isinstance(props, dict) else {}), id_property: key}
            row, new = _create_or_update_winner(
                conn, portal_id, object_type, key, id_property, merged, props, change, defs
            )
        view = svc.views(conn, portal_id, [row], Want(), defs=defs,
                         extra=props if isinstance(props, dict) else ())[0]
        view.new = new
        out.append(view)
    return BatchResult(started, out)


def _create_or_update_winner(
    conn: Connection, portal_id: int, object_type: str, key: str, id_property: str,
    merged: dict[str, Any], props: Any, change: Change, defs: Any,
) -> tuple[Any, bool]:
    """Create the object for an upsert; if a concurrent upsert created it first, update that.

    Under READ COMMITTED two upserts of one new value can both find nothing
    and both create: the unique claim makes the loser wait for the winner's
    commit and then fail. An upsert must not answer 409 for that, so the
    loser's create is rolled back to a savepoint and the winner is updated.
    """
    try:
        with conn.begin_nested():
            row = svc.create_row(
                conn, portal_id, object_type, {"properties": merged}, change, defs
            )
        return row, True
    except Conflict:
        object_id = svc.resolve_id(conn, portal_id, object_type, key, id_property, defs)
        winner = (obj_store.get(conn, portal_id, object_type, object_id, for_update=True)
                  if object_id is not None else None)
        if winner is None:
            raise
        svc.update_row(conn, winner, props, change, defs)
        return winner, False


def batch_archive(
    conn: Connection, portal_id: int, object_type: str, body: Any, change: Change
) -> None:
    """Archive every input id that exists (unknown ids are ignored, as HubSpot does)."""
    defs = definitions(conn, portal_id, object_type)
    for i, item in enumerate(_inputs(body)):
        object_id = svc.resolve_id(conn, portal_id, object_type, _id_of(item, i), None)
        row = (obj_store.get(conn, portal_id, object_type, object_id, for_update=True)
               if object_id is not None else None)
        if row is not None:
            svc.archive_row(conn, row, defs, change.timestamp)

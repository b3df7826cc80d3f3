"""CRM v3 objects: read, list, create, update and archive one object.

Every write is validated against the portal's property definitions first
(``validate``) and claims unique values before anything is stored, so a bad
write changes nothing. Each change is recorded in property history by the
store with its source (``Change``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.crm import associations, lead_rules, validate
from leadhub.crm.properties import definitions
from leadhub.crm.property_defaults import (
    COMPUTED,
    DEFAULT_RETURNED,
    DEFAULTS,
    LEAD_FIRST_STAGE,
    LEAD_PIPELINE,
)
from leadhub.crm.types import singular
from leadhub.errors import Conflict, NotFound, ValidationError
from leadhub.leads import fields as F
from leadhub.leads.service import PUBLIC_TOKEN_PROP, new_public_token
from leadhub.store import objects as obj_store
from leadhub.store import uniquevalues as unique_store
from leadhub.store.objects import Change, ObjectRow
from leadhub.util import new_guid
from leadhub.values import digits, ms_to_iso

Defs = dict[str, dict[str, Any]]


@dataclass
class Want:
    """What a read asks for: properties, properties with history, associated types."""

    properties: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    associations: list[str] = field(default_factory=list)


@dataclass
class ObjectView:
    """One object ready to render in the v3 shape."""

    row: ObjectRow
    properties: dict[str, str | None]
    history: dict[str, list[dict[str, Any]]] | None = None
    associations: dict[str, Any] | None = None
    new: bool | None = None


# ---------------------------------------------------------------- reading


def value_of(row: ObjectRow, name: str) -> str | None:
    """A property's value: computed from the row, or stored."""
    column = COMPUTED[row.object_type].get(name)
    if column == "id":
        return str(row.id)
    if column is not None:
        return ms_to_iso(getattr(row, column))
    return row.props.get(name)


def _names(
    defs: Defs, object_type: str, asked: Iterable[str], extra: Iterable[str] = ()
) -> list[str]:
    asked = list(asked)
    base = asked if asked else list(DEFAULT_RETURNED[object_type])
    out = [n for n in dict.fromkeys([*base, *extra]) if n in defs]
    return out


def views(
    conn: Connection,
    portal_id: int,
    rows: list[ObjectRow],
    want: Want,
    *,
    defs: Defs | None = None,
    extra: Iterable[str] = (),
) -> list[ObjectView]:
    """Render-ready views of rows of one type with what ``want`` asks for."""
    if not rows:
        return []
    object_type = rows[0].object_type
    builtin = DEFAULTS[object_type]
    if defs is None and not want.properties and not want.history and all(
        n in builtin for n in extra
    ):
        # The default set names built-in properties only, and those are always live:
        # no need to read the portal's definitions (a query per request otherwise).
        defs = builtin
    defs = defs if defs is not None else definitions(conn, portal_id, object_type)
    names = _names(defs, object_type, want.properties, extra)
    if want.properties:
        out = [ObjectView(row, {n: value_of(row, n) for n in names}) for row in rows]
    else:
        # Unset values are shown as null only when asked for by name (the leads
        # guide); the default set leaves them out, as the leads schema wants strings.
        out = [ObjectView(row, _set_values(row, names)) for row in rows]
    history_names = [n for n in dict.fromkeys(want.history) if n in defs]
    if history_names:
        for view in out:
            view.history = _history(conn, portal_id, view.row, history_names)
    if want.associations:
        linked = associations.associated_ids(
            conn, portal_id, object_type, [r.id for r in rows], want.associations
        )
        for view in out:
            view.associations = linked.get(view.row.id) or None
    return out


def _set_values(row: ObjectRow, names: list[str]) -> dict[str, str | None]:
    values = {n: value_of(row, n) for n in names}
    return {n: v for n, v in values.items() if v is not None}


def _history(
    conn: Connection, portal_id: int, row: ObjectRow, names: list[str]
) -> dict[str, list[dict[str, Any]]]:
    stored = obj_store.history(conn, portal_id, row.id, names)
    for name in names:
        if name in COMPUTED[row.object_type]:
            stored[name] = [{"value": value_of(row, name), "timestamp": row.created_at,
                             "sourceType": "CALCULATED", "sourceId": None}]
    return stored


def _not_found(object_type: str, key: str) -> NotFound:
    return NotFound(
        f"Object not found.  objectId are usually numeric. ({singular(object_type)} {key})",
        errors=[{"message": f"{singular(object_type)} {key} does not exist",
                 "code": "OBJECT_NOT_FOUND", "context": {"id": [key]}}],
    )


def unique_key(value: str) -> str:
    """Unique values are one regardless of case and surrounding spaces (emails, guids)."""
    return value.strip().lower()


def resolve_id(
    conn: Connection, portal_id: int, object_type: str, key: str, id_property: str | None,
    defs: Defs | None = None,
) -> int | None:
    """The object id a path or batch id names: a record id, or a unique property value."""
    if id_property and id_property != "hs_object_id":
        defs = defs if defs is not None else definitions(conn, portal_id, object_type)
        definition = defs.get(id_property)
        if definition is None or not definition.get("hasUniqueValue"):
            raise ValidationError(
                f"{id_property} is not a unique-value property of {ct.NAME_BY_TYPE[object_type]}",
                errors=[{"message": f"{id_property} is not a unique-value property",
                         "code": "INVALID_ID_PROPERTY",
                         "context": {"idProperty": [id_property]}}],
            )
        return unique_store.find_unique(conn, portal_id, object_type, id_property, unique_key(key))
    text = key.strip()
    return int(text) if digits(text) and len(text) < 19 else None


def load_row(
    conn: Connection, portal_id: int, object_type: str, key: str, id_property: str | None,
    *, archived: bool = False, for_update: bool = False,
) -> ObjectRow:
    """One object by id or unique value; NotFound (also for another portal's ids)."""
    object_id = resolve_id(conn, portal_id, object_type, key, id_property)
    row = (
        obj_store.get(conn, portal_id, object_type, object_id, include_archived=archived,
                      for_update=for_update)
        if object_id is not None else None
    )
    if row is None or row.archived != archived:
        raise _not_found(object_type, key)
    return row


def get_object(
    conn: Connection, portal_id: int, object_type: str, key: str, want: Want,
    *, id_property: str | None = None, archived: bool = False,
) -> ObjectView:
    """GET one object with the properties, history and associations asked for."""
    row = load_row(conn, portal_id, object_type, key, id_property, archived=archived)
    return views(conn, portal_id, [row], want)[0]


def list_objects(
    conn: Connection, portal_id: int, object_type: str, want: Want,
    *, limit: int, after: int, archived: bool = False,
) -> tuple[list[ObjectView], int | None]:
    """One page of objects in id order, and the cursor of the next page (or None)."""
    from leadhub.store import crm_query

    ids = crm_query.page_ids(conn, portal_id, object_type, archived=archived, after=after,
                             limit=limit + 1)
    more = len(ids) > limit
    ids = ids[:limit]
    found = obj_store.get_many(conn, portal_id, ids)
    rows = [found[i] for i in ids if i in found]
    return views(conn, portal_id, rows, want), (ids[-1] if more else None)


# ---------------------------------------------------------------- writing


def unique_props(defs: Defs) -> list[str]:
    """Names of the properties that require unique values."""
    return [n for n, d in defs.items() if d.get("hasUniqueValue")]


def _claim_uniques(conn: Connection, row: ObjectRow, changes: Mapping[str, str | None],
                   defs: Defs) -> None:
    for name in unique_props(defs):
        if name not in changes or name == F.GUID_PROP:
            continue
        value = changes[name]
        holder = unique_store.set_unique(conn, row, name, unique_key(value) if value else None)
        if holder is not None:
            raise Conflict(
                f"{singular(row.object_type).capitalize()} already exists. Existing ID: {holder}",
                errors=[{"message": f"{name} {value} is already used by {holder}",
                         "code": "OBJECT_ALREADY_EXISTS",
                         "context": {"id": [str(holder)], "propertyName": [name]}}],
            )


def create_row(
    conn: Connection, portal_id: int, object_type: str, body: Any, change: Change,
    defs: Defs,
) -> ObjectRow:
    """Validate and store one SimplePublicObjectInputForCreate; the new row."""
    if not isinstance(body, dict):
        raise ValidationError("each input must be an object with properties")
    props = validate.check(defs, body.get("properties", {}))
    items = lead_rules.parse(body.get("associations"))
    if object_type == ct.LEADS:
        lead_rules.check_lead(props, items)
        props.setdefault("hs_pipeline", LEAD_PIPELINE)
        props.setdefault("hs_pipeline_stage", LEAD_FIRST_STAGE)
        props[F.GUID_PROP] = new_guid()
        props[PUBLIC_TOKEN_PROP] = new_public_token()
    clean = {k: v for k, v in props.items() if v is not None}
    row = obj_store.insert(conn, portal_id, object_type, clean, change)
    if object_type == ct.LEADS:
        unique_store.set_unique(conn, row, F.GUID_PROP, clean[F.GUID_PROP])
    _claim_uniques(conn, row, clean, defs)
    lead_rules.attach(conn, row, body.get("associations"), items, change.timestamp)
    return row


def create_object(
    conn: Connection, portal_id: int, object_type: str, body: Any, change: Change
) -> ObjectView:
    """POST one object (201)."""
    defs = definitions(conn, portal_id, object_type)
    row = create_row(conn, portal_id, object_type, body, change, defs)
    return views(conn, portal_id, [row], Want(), defs=defs, extra=row.props)[0]


def update_row(
    conn: Connection, row: ObjectRow, properties: Any, change: Change, defs: Defs
) -> ObjectRow:
    """Validate and apply a ``properties`` object to a row read for update."""
    props = validate.check(defs, properties)
    if row.object_type == ct.LEADS and "hs_lead_name" in props and not props["hs_lead_name"]:
        lead_rules.check_lead(props, [])
    _claim_uniques(conn, row, props, defs)
    obj_store.update_props(conn, row, props, change)
    return row


def update_object(
    conn: Connection, portal_id: int, object_type: str, key: str, body: Any, change: Change,
    *, id_property: str | None = None,
) -> ObjectView:
    """PATCH one object by id or unique value."""
    if not isinstance(body, dict):
        raise ValidationError("the request body must be an object with properties")
    defs = definitions(conn, portal_id, object_type)
    row = load_row(conn, portal_id, object_type, key, id_property, for_update=True)
    update_row(conn, row, body.get("properties", {}), change, defs)
    written = body.get("properties") or {}
    return views(conn, portal_id, [row], Want(), defs=defs, extra=written)[0]


def update_row_unchecked(
    conn: Connection, row: ObjectRow, props: Mapping[str, str | None], change: Change, defs: Defs
) -> None:
    """Apply stored-form values that need no validation (e.g. taken from another record)."""
    _claim_uniques(conn, row, props, defs)
    obj_store.update_props(conn, row, props, change)


def archive_row(conn: Connection, row: ObjectRow, defs: Defs, at: int) -> None:
    """Archive an object, releasing its unique values (a lead keeps its v1 guid)."""
    for name in unique_props(defs):
        if name != F.GUID_PROP:
            unique_store.release_unique(conn, row.portal_id, row.object_type, name, row.id)
    obj_store.set_archived(conn, row, True, at)


def archive_object(
    conn: Connection, portal_id: int, object_type: str, key: str, change: Change
) -> None:
    """DELETE one object (archive, 204); like HubSpot, an unknown id is not an error."""
    defs = definitions(conn, portal_id, object_type)
    object_id = resolve_id(conn, portal_id, object_type, key, None)
    row = (obj_store.get(conn, portal_id, object_type, object_id, for_update=True)
           if object_id is not None else None)
    if row is not None:
        archive_row(conn, row, defs, change.timestamp)

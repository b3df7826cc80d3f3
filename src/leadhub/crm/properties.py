"""Property definitions and groups: HubSpot's defaults plus the portal's own.

A portal's effective definitions are the defaults of ``property_defaults``
overlaid with what is stored: custom properties, and overrides of default
ones (HubSpot lets a portal add options to ``hs_lead_type``, relabel, ...).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import Connection

from leadhub.crm.property_defaults import DEFAULT_GROUPS, DEFAULTS, TYPE_FIELD
from leadhub.errors import Conflict, NotFound, ValidationError
from leadhub.store import crm_properties as store
from leadhub.store.crm_properties import GroupRow, PropertyDefRow
from leadhub.store.objects import MAX_VALUE_CHARS
from leadhub.values import ms_to_iso

TYPES = frozenset(TYPE_FIELD)
FIELD_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset({"text", "textarea", "file", "html", "phonenumber"}),
    "number": frozenset({"number", "calculation_equation"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
    "bool": frozenset({"booleancheckbox", "checkbox", "radio", "select"}),
    "enumeration": frozenset({"select", "radio", "checkbox", "booleancheckbox"}),
}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
CREATE_KEYS = frozenset(
    {"name", "label", "type", "fieldType", "groupName", "description", "options", "displayOrder",
     "hasUniqueValue", "hidden", "formField", "calculationFormula", "currencyPropertyName",
     "dataSensitivity", "externalOptions", "numberDisplayHint", "referencedObjectType",
     "showCurrencySymbol", "textDisplayHint"}
)
UPDATE_KEYS = CREATE_KEYS - {"name", "hasUniqueValue", "dataSensitivity", "externalOptions",
                             "referencedObjectType"}
# leadhub's bounds on a definition (a label is a line of a form, not a document).
MAX_LABEL_CHARS = 1_000
MAX_OPTIONS = 5_000
FLAGS = ("hidden", "formField", "hasUniqueValue", "externalOptions", "showCurrencySymbol")
TEXTS = {"label": MAX_LABEL_CHARS, "description": MAX_VALUE_CHARS}


def _invalid(message: str, code: str = "INVALID_PROPERTY", **context: list[str]) -> ValidationError:
    return ValidationError(
        message, errors=[{"message": message, "code": code, "context": context or {}}]
    )


def _not_found(object_type: str, name: str) -> NotFound:
    return NotFound(
        f"Property {name} does not exist",
        errors=[{"message": f"Property {name} does not exist", "code": "PROPERTY_DOESNT_EXIST",
                 "context": {"propertyName": [name]}}],
    )


# ---------------------------------------------------------------- definitions


def _render_stored(row: PropertyDefRow) -> dict[str, Any]:
    out = dict(row.definition)
    out["createdAt"] = ms_to_iso(row.created_at)
    out["updatedAt"] = ms_to_iso(row.updated_at)
    out["archived"] = row.archived
    if row.archived and row.archived_at is not None:
        out["archivedAt"] = ms_to_iso(row.archived_at)
    return out


def all_definitions(
    conn: Connection, portal_id: int, object_type: str
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(live definitions, archived custom definitions) by name."""
    live = {name: dict(d) for name, d in DEFAULTS[object_type].items()}
    archived: dict[str, dict[str, Any]] = {}
    for row in store.list_defs(conn, portal_id, object_type):
        rendered = _render_stored(row)
        if row.name in DEFAULTS[object_type]:
            live[row.name] = {**live[row.name], **rendered, "archived": False}
        elif row.archived:
            archived[row.name] = rendered
        else:
            live[row.name] = rendered
    return live, archived


def definitions(conn: Connection, portal_id: int, object_type: str) -> dict[str, dict[str, Any]]:
    """The live property definitions of one object type, by name."""
    return all_definitions(conn, portal_id, object_type)[0]


def list_properties(
    conn: Connection, portal_id: int, object_type: str, *, archived: bool = False
) -> list[dict[str, Any]]:
    """All live properties, or with ``archived`` only the archived ones (HubSpot's rule)."""
    live, gone = all_definitions(conn, portal_id, object_type)
    return list((gone if archived else live).values())


def get_property(
    conn: Connection, portal_id: int, object_type: str, name: str, *, archived: bool = False
) -> dict[str, Any]:
    """One property definition; NotFound if it does not exist (or is not archived)."""
    live, gone = all_definitions(conn, portal_id, object_type)
    found = (gone if archived else live).get(name)
    if found is None:
        raise _not_found(object_type, name)
    return found


def _check_fields(body: dict[str, Any]) -> None:
    """Types and sizes of a create or update body's fields (null means not given)."""
    for key, most in TEXTS.items():
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > most):
            raise _invalid(f"{key} must be a string of at most {most} characters",
                           "INVALID_PROPERTY", field=[key])
    for key in FLAGS:
        if body.get(key) is not None and not isinstance(body[key], bool):
            raise _invalid(f"{key} must be true or false, got {body[key]!r}"[:300],
                           "INVALID_PROPERTY", field=[key])
    order = body.get("displayOrder")
    if order is not None and (
        isinstance(order, bool) or not isinstance(order, int) or not -2**31 <= order < 2**31
    ):
        raise _invalid(f"displayOrder must be a 32-bit integer, got {order!r}"[:300],
                       "INVALID_PROPERTY", field=["displayOrder"])


def _check_options(options: Any) -> list[dict[str, Any]]:
    if not isinstance(options, list):
        raise _invalid("options must be a list of {label, value} objects")
    if len(options) > MAX_OPTIONS:
        raise _invalid(f"a property has at most {MAX_OPTIONS} options, got {len(options)}",
                       "INVALID_OPTION")
    out, seen = [], set()
    for i, opt in enumerate(options):
        if not isinstance(opt, dict) or not isinstance(opt.get("value"), str) or not isinstance(
            opt.get("label"), str
        ):
            raise _invalid(f"option {i} needs a string label and value", "INVALID_OPTION")
        if len(opt["value"]) > MAX_LABEL_CHARS or len(opt["label"]) > MAX_LABEL_CHARS:
            raise _invalid(f"option {i}: label and value are at most {MAX_LABEL_CHARS} "
                           "characters", "INVALID_OPTION")
        if opt["value"] in seen:
            raise _invalid(f"option value {opt['value']} appears twice", "INVALID_OPTION")
        seen.add(opt["value"])
        out.append(
            {
                "label": opt["label"],
                "value": opt["value"],
                "description": opt.get("description") or "",
                "displayOrder": opt.get("displayOrder", i) if isinstance(
                    opt.get("displayOrder", i), int) else i,
                "hidden": bool(opt.get("hidden", False)),
            }
        )
    return out


def _check_shape(definition: dict[str, Any], groups: set[str]) -> None:
    type_, field_type = definition["type"], definition["fieldType"]
    if type_ not in TYPES:
        raise _invalid(f"type must be one of {sorted(TYPES)}, got {type_!r}", "INVALID_TYPE")
    if field_type not in FIELD_TYPES[type_]:
        raise _invalid(
            f"fieldType {field_type!r} does not go with type {type_!r} "
            f"(use one of {sorted(FIELD_TYPES[type_])})",
            "INVALID_FIELD_TYPE",
        )
    if type_ == "enumeration" and not definition["options"]:
        raise _invalid("an enumeration property needs options", "INVALID_OPTION")
    if definition["groupName"] not in groups:
        raise _invalid(f"property group {definition['groupName']} does not exist",
                       "GROUP_DOESNT_EXIST", groupName=[definition["groupName"]])
    if definition.get("hasUniqueValue") and type_ not in ("string", "number"):
        raise _invalid("only string and number properties can require unique values")


def _group_names(conn: Connection, portal_id: int, object_type: str) -> set[str]:
    return {g["name"] for g in list_groups(conn, portal_id, object_type)}


def create_property(
    conn: Connection, portal_id: int, object_type: str, body: Any, at: int
) -> dict[str, Any]:
    """Create a custom property from a PropertyCreate body."""
    if not isinstance(body, dict):
        raise _invalid("the request body must be a PropertyCreate object")
    missing = [k for k in ("name", "label", "type", "fieldType", "groupName")
               if not isinstance(body.get(k), str) or not body.get(k)]
    if missing:
        raise _invalid(f"missing required fields: {', '.join(missing)}", "REQUIRED_FIELD",
                       fields=missing)
    unknown = sorted(set(body) - CREATE_KEYS)
    if unknown:
        raise _invalid(f"unknown fields: {', '.join(unknown)}", "UNKNOWN_DETAILS")
    _check_fields(body)
    name = body["name"]
    if not NAME_RE.match(name):
        raise _invalid(f"invalid property name {name!r}: use lower case letters, digits and _",
                       "INVALID_PROPERTY_NAME")
    live, _ = all_definitions(conn, portal_id, object_type)
    if name in live:
        raise Conflict(
            f"Property named '{name}' already exists.",
            errors=[{"message": f"Property named '{name}' already exists.",
                     "code": "OBJECT_ALREADY_EXISTS", "context": {"name": [name]}}],
        )
    definition = {
        "name": name,
        "label": body["label"],
        "type": body["type"],
        "fieldType": body["fieldType"],
        "description": body.get("description") or "",
        "groupName": body["groupName"],
        "options": _check_options(body.get("options", [])),
        "displayOrder": body.get("displayOrder", -1) if isinstance(body.get("displayOrder"), int)
        else -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": bool(body.get("hasUniqueValue", False)),
        "hidden": bool(body.get("hidden", False)),
        "hubspotDefined": False,
        "formField": bool(body.get("formField", True)),
        "modificationMetadata": {
            "archivable": True, "readOnlyDefinition": False, "readOnlyValue": False,
        },
    }
    _check_shape(definition, _group_names(conn, portal_id, object_type))
    row = PropertyDefRow(name, object_type, definition, at, at, False, None)
    store.save_def(conn, portal_id, row)
    return _render_stored(row)


def update_property(
    conn: Connection, portal_id: int, object_type: str, name: str, body: Any, at: int
) -> dict[str, Any]:
    """Apply a PropertyUpdate body; defaults take option and label changes only."""
    if not isinstance(body, dict):
        raise _invalid("the request body must be a PropertyUpdate object")
    unknown = sorted(set(body) - UPDATE_KEYS)
    if unknown:
        raise _invalid(f"unknown or read-only fields: {', '.join(unknown)}", "UNKNOWN_DETAILS")
    _check_fields(body)
    live, _ = all_definitions(conn, portal_id, object_type)
    current = live.get(name)
    if current is None:
        raise _not_found(object_type, name)
    is_default = name in DEFAULTS[object_type]
    if is_default and ({"type", "fieldType", "groupName"} & set(body)) and any(
        body[k] != current[k] for k in ("type", "fieldType", "groupName") if k in body
    ):
        raise _invalid(f"the definition of HubSpot property {name} is read-only",
                       "READ_ONLY_DEFINITION", propertyName=[name])
    merged = {k: v for k, v in current.items()
              if k not in ("createdAt", "updatedAt", "archived", "archivedAt")}
    for key, value in body.items():
        if key == "options":
            merged["options"] = _check_options(value)
        elif value is not None:
            merged[key] = value
    _check_shape(merged, _group_names(conn, portal_id, object_type))
    stored = store.get_def(conn, portal_id, object_type, name)
    created = stored.created_at if stored else at
    row = PropertyDefRow(name, object_type, merged, created, at, False, None)
    store.save_def(conn, portal_id, row)
    return {**current, **_render_stored(row)} if is_default else _render_stored(row)


def archive_property(
    conn: Connection, portal_id: int, object_type: str, name: str, at: int
) -> None:
    """Archive a custom property; HubSpot's own properties cannot be archived."""
    if name in DEFAULTS[object_type]:
        raise _invalid(f"HubSpot property {name} cannot be archived", "NOT_ARCHIVABLE",
                       propertyName=[name])
    stored = store.get_def(conn, portal_id, object_type, name)
    if stored is None or stored.archived:
        raise _not_found(object_type, name)
    stored.archived, stored.archived_at, stored.updated_at = True, at, at
    store.save_def(conn, portal_id, stored)


# ---------------------------------------------------------------- groups


def _group(name: str, label: str, order: int, archived: bool = False) -> dict[str, Any]:
    return {"name": name, "label": label, "displayOrder": order, "archived": archived}


def list_groups(conn: Connection, portal_id: int, object_type: str) -> list[dict[str, Any]]:
    """The live property groups: HubSpot's, then the portal's own."""
    out = {n: _group(n, label, i) for i, (n, label) in enumerate(DEFAULT_GROUPS[object_type])}
    for row in store.list_groups(conn, portal_id, object_type):
        if row.archived:
            out.pop(row.name, None)
        else:
            out[row.name] = _group(row.name, row.label, row.display_order)
    return list(out.values())


def get_group(conn: Connection, portal_id: int, object_type: str, name: str) -> dict[str, Any]:
    """One live property group; NotFound otherwise."""
    for group in list_groups(conn, portal_id, object_type):
        if group["name"] == name:
            return group
    raise NotFound(f"Property group {name} does not exist",
                   errors=[{"message": f"Property group {name} does not exist",
                            "code": "GROUP_DOESNT_EXIST", "context": {"groupName": [name]}}])


def create_group(conn: Connection, portal_id: int, object_type: str, body: Any) -> dict[str, Any]:
    """Create a property group from a PropertyGroupCreate body."""
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not isinstance(
        body.get("label"), str
    ):
        raise _invalid("a property group needs a string name and label", "REQUIRED_FIELD")
    _check_fields({"label": body["label"], "displayOrder": body.get("displayOrder")})
    name = body["name"]
    if not NAME_RE.match(name):
        raise _invalid(f"invalid group name {name!r}: use lower case letters, digits and _",
                       "INVALID_PROPERTY_NAME")
    if any(g["name"] == name for g in list_groups(conn, portal_id, object_type)):
        raise Conflict(f"Property group named '{name}' already exists.",
                       errors=[{"message": f"Property group named '{name}' already exists.",
                                "code": "OBJECT_ALREADY_EXISTS", "context": {"name": [name]}}])
    order = body.get("displayOrder", -1)
    row = GroupRow(name, object_type, body["label"], order if isinstance(order, int) else -1, False)
    store.save_group(conn, portal_id, row)
    return _group(row.name, row.label, row.display_order)


def update_group(
    conn: Connection, portal_id: int, object_type: str, name: str, body: Any
) -> dict[str, Any]:
    """Change a group's label or display order."""
    current = get_group(conn, portal_id, object_type, name)
    if not isinstance(body, dict) or set(body) - {"label", "displayOrder"}:
        raise _invalid("a property group update takes label and displayOrder only")
    label = body.get("label", current["label"])
    order = body.get("displayOrder", current["displayOrder"])
    if not isinstance(label, str) or not isinstance(order, int) or isinstance(order, bool):
        raise _invalid("label must be a string and displayOrder an integer")
    _check_fields({"label": label, "displayOrder": order})
    store.save_group(conn, portal_id, GroupRow(name, object_type, label, order, False))
    return _group(name, label, order)


def archive_group(conn: Connection, portal_id: int, object_type: str, name: str) -> None:
    """Archive a group that no live property belongs to."""
    current = get_group(conn, portal_id, object_type, name)
    if any(d["groupName"] == name for d in definitions(conn, portal_id, object_type).values()):
        raise _invalid(f"property group {name} still has properties", "GROUP_NOT_EMPTY",
                       groupName=[name])
    store.save_group(
        conn, portal_id,
        GroupRow(name, object_type, current["label"], current["displayOrder"], True),
    )

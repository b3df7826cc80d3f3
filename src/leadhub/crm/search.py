"""CRM v3 search: filterGroups (13 operators), query, one sort, offset paging, total.

HubSpot's limits: 5 filterGroups, 6 filters per group, 18 filters in all,
one sort, ``limit`` at most 200, and no results past the 10,000th (400).
A ``query`` is at most 3,000 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Connection

from leadhub.crm import objects as svc
from leadhub.crm import validate
from leadhub.crm.objects import ObjectView, Want
from leadhub.crm.properties import definitions
from leadhub.crm.property_defaults import COMPUTED, SEARCHABLE
from leadhub.crm_types import TYPE_BY_NAME
from leadhub.errors import ValidationError
from leadhub.store import crm_query
from leadhub.store import objects as obj_store
from leadhub.store.crm_query import Cond, Op, SearchQuery
from leadhub.values import MAX_INT, digits, iso_to_ms

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
MAX_LIMIT = 200
MAX_RESULTS = 10_000
# leadhub's own bound: far past any typed query, well inside what a LIKE pattern may hold.
MAX_QUERY_CHARS = 3_000
OPERATORS = frozenset(
    {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
     "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
)


@dataclass
class SearchResult:
    """One page of a search, the total matches and the next offset (or None)."""

    results: list[ObjectView]
    total: int
    after: int | None


def _bad(message: str, code: str = "INVALID_SEARCH") -> ValidationError:
    return ValidationError(message, errors=[{"message": message, "code": code}])


def _int(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _bad(f"{name} must be an integer")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and digits(value.strip()):
        return int(value.strip())
    raise _bad(f"{name} must be a whole number from 0, got {value!r}")


def _column(object_type: str, name: str) -> str | None:
    return COMPUTED[object_type].get(name)


def _values(f: dict[str, Any], op: str) -> list[Any]:
    vals = _raw_values(f, op)
    for value in vals:
        if not isinstance(value, (str, int, float)):
            raise _bad(f"filter values of {f['propertyName']} must be strings, numbers or "
                       f"booleans, got {value!r}"[:300])
    return vals


def _raw_values(f: dict[str, Any], op: str) -> list[Any]:
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return []
    if op in ("IN", "NOT_IN"):
        vals = f.get("values")
        if not isinstance(vals, list) or not vals:
            raise _bad(f"operator {op} needs a non-empty values list")
        return vals
    if f.get("value") is None:
        raise _bad(f"operator {op} needs a value")
    if op == "BETWEEN":
        if f.get("highValue") is None:
            raise _bad("operator BETWEEN needs a value and a highValue")
        return [f["value"], f["highValue"]]
    return [f["value"]]


def _filter(object_type: str, defs: dict[str, Any], f: Any) -> Cond:
    if not isinstance(f, dict) or not isinstance(f.get("propertyName"), str):
        raise _bad("each filter needs a propertyName and an operator")
    name, given = f["propertyName"], f.get("operator")
    if not isinstance(given, str) or given not in OPERATORS:
        raise _bad(f"unknown operator {given!r}: use one of {', '.join(sorted(OPERATORS))}",
                   "INVALID_OPERATOR")
    op = cast(Op, given)
    if name.startswith("associations."):
        return _association_filter(name, op, f)
    definition = defs.get(name)
    if definition is None:
        raise ValidationError(
            f"There was a problem with the request. Property {name} does not exist",
            errors=[{"message": f"Property {name} does not exist", "code": "PROPERTY_DOESNT_EXIST",
                     "context": {"propertyName": [name]}}],
        )
    raw = _values(f, op)
    column = _column(object_type, name)
    if column is not None:
        try:
            vals = tuple(int(str(v)) if column == "id" else iso_to_ms(str(v)) for v in raw)
        except ValueError:
            raise _bad(f"filter value for {name} must be a number or a datetime") from None
        if any(abs(v) > MAX_INT for v in vals):
            raise _bad(f"filter value for {name} is out of range")
        return Cond("column", column, op, vals)
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        return Cond("text", name, op, tuple(str(v) for v in raw))
    canonical = tuple(validate.filter_value(v, definition) for v in raw)
    if definition["type"] == "number":
        return Cond("number", name, op, tuple(float(v) for v in canonical))
    return Cond("text", name, op, canonical)


def _association_filter(name: str, op: Op, f: dict[str, Any]) -> Cond:
    """HubSpot's ``associations.contact`` (EQ, NEQ, IN, NOT_IN, HAS/NOT_HAS) filters."""
    to_type = TYPE_BY_NAME.get(name.split(".", 1)[1].lower())
    if to_type is None:
        raise _bad(f"cannot filter by {name}: unknown object type", "PROPERTY_DOESNT_EXIST")
    if op not in ("EQ", "NEQ", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        raise _bad(f"operator {op} does not apply to {name}", "INVALID_OPERATOR")
    ids = []
    for value in _values(f, op):
        text = str(value).strip()
        if not digits(text) or int(text) > MAX_INT:
            raise _bad(f"{name} filters take object ids, got {value!r}")
        ids.append(int(text))
    return Cond("assoc", to_type, op, tuple(ids))  # type: ignore[arg-type]


def _sort(object_type: str, defs: dict[str, Any], sorts: Any) -> tuple[Any, bool]:
    if not sorts:
        return None, False
    if not isinstance(sorts, list):
        raise _bad("sorts must be a list")
    if len(sorts) > 1:
        raise _bad("at most one sort is allowed", "TOO_MANY_SORTS")
    spec = sorts[0]
    if isinstance(spec, str):
        descending, name = spec.startswith("-"), spec.lstrip("-")
    elif isinstance(spec, dict) and isinstance(spec.get("propertyName"), str):
        name = spec["propertyName"]
        direction = spec.get("direction") or "ASCENDING"
        if not isinstance(direction, str) or direction.upper() not in ("ASCENDING",
                                                                       "DESCENDING"):
            raise _bad(f"sort direction must be ASCENDING or DESCENDING, got {direction!r}"[:300],
                       "INVALID_SORT")
        descending = direction.upper() == "DESCENDING"
    else:
        raise _bad("a sort is a property name or {propertyName, direction}")
    if name not in defs:
        raise _bad(f"cannot sort by unknown property {name}", "PROPERTY_DOESNT_EXIST")
    column = _column(object_type, name)
    if column is not None:
        return ("column", column), descending
    kind = "number" if defs[name]["type"] == "number" else "text"
    return (kind, name), descending


def search(conn: Connection, portal_id: int, object_type: str, body: Any) -> SearchResult:
    """POST .../search: filter, sort and page; properties as asked (default set otherwise)."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise _bad("the request body must be a search request object")
    defs = definitions(conn, portal_id, object_type)
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list):
        raise _bad("filterGroups must be a list")
    if len(groups) > MAX_GROUPS:
        raise _bad(f"at most {MAX_GROUPS} filterGroups are allowed", "TOO_MANY_FILTER_GROUPS")
    conds: list[list[Cond]] = []
    total_filters = 0
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list):
            raise _bad("each filterGroup needs a filters list")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise _bad(f"at most {MAX_FILTERS_PER_GROUP} filters per group are allowed",
                       "TOO_MANY_FILTERS")
        total_filters += len(filters)
        conds.append([_filter(object_type, defs, f) for f in filters])
    if total_filters > MAX_FILTERS:
        raise _bad(f"at most {MAX_FILTERS} filters in all are allowed", "TOO_MANY_FILTERS")
    limit = _int(body.get("limit"), "limit", 10)
    if not 0 < limit <= MAX_LIMIT:
        raise _bad(f"limit must be between 1 and {MAX_LIMIT}", "INVALID_LIMIT")
    offset = _int(body.get("after"), "after", 0)
    if offset + limit > MAX_RESULTS:
        raise _bad(f"search results are limited to {MAX_RESULTS}: after plus limit must not "
                   "exceed it", "RESULTS_LIMIT_EXCEEDED")
    sort, descending = _sort(object_type, defs, body.get("sorts"))
    query = body.get("query") or ""
    if not isinstance(query, str):
        raise _bad("query must be a string")
    if len(query) > MAX_QUERY_CHARS:
        raise _bad(f"query must be at most {MAX_QUERY_CHARS} characters, got {len(query)}",
                   "QUERY_TOO_LONG")
    names = body.get("properties") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _bad("properties must be a list of property names")
    q = SearchQuery(portal_id, object_type, conds, query.strip(), SEARCHABLE[object_type],
                    sort, descending, offset, limit)
    ids, total = crm_query.search_ids(conn, q)
    found = obj_store.get_many(conn, portal_id, ids)
    rows = [found[i] for i in ids if i in found]
    views = svc.views(conn, portal_id, rows, Want(properties=names), defs=defs)
    after = offset + limit if offset + limit < total else None
    return SearchResult(views, total, after)

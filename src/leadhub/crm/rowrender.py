"""v3 SimplePublicObjects built directly from an object's row, reused while the row is the same.

The plan of each type's default properties is made once from the tables the
ordinary face reads (``DEFAULT_RETURNED``, ``COMPUTED``): which property
comes from the id, which from a timestamp and which from the stored
properties, in the order the ordinary view lists them (crm/objects.py
``views``, crm/render.py ``obj``). An answer built before is kept per
object with the row it came from and reused only for a row read now that is
the same in every column the answer comes from (crm/fastread.py reads the
rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from leadhub.crm.property_defaults import COMPUTED, DEFAULT_RETURNED, DEFAULTS
from leadhub.values import ms_to_iso

# Types whose default properties are all HubSpot's own (so always defined).
SERVED = frozenset(
    t for t, names in DEFAULT_RETURNED.items() if set(names) <= DEFAULTS.get(t, {}).keys()
)
# Per type, each default property in the order the view lists them, with the row
# column it is computed from ("id", "created_at", "updated_at"), or None when stored.
PLANS: dict[str, tuple[tuple[str, str | None], ...]] = {
    t: tuple((n, COMPUTED[t].get(n)) for n in dict.fromkeys(DEFAULT_RETURNED[t]))
    for t in SERVED
}
assert {c for plan in PLANS.values() for _, c in plan} <= {None, "id", "created_at", "updated_at"}

# Answers built before, by object id, with the row they were built from: a read whose row is
# the same, character for character, gives the same answer without parsing and building it
# again. Emptied when full (hot objects fill it again at once).
RENDERED_MAX = 10_000
_rendered: dict[int, tuple[str, str, int, int, bytes]] = {}
# The same for reads of HubSpot's own properties by name, by (object id, names).
_named: dict[tuple[int, tuple[str, ...]], tuple[str, str, int, int, bytes]] = {}


def from_row(
    type_id: str, object_id: int, row: tuple[str, int, int], names: tuple[str, ...],
    shown: tuple[str, ...], *, keep: bool = True,
) -> bytes:
    """The SimplePublicObject of a live object's row (props, created, updated) with the
    ``shown`` of the ``names`` asked for (none: the default set).

    An answer that depends on the row alone (HubSpot's own properties) is reused while
    the row is the same, and kept if ``keep`` (not for pages: a walk of every page
    reads each object once, and would only push out the answers of objects read
    again and again)."""
    if shown == names:
        if names:
            return _reuse(_named, (object_id, names), type_id, object_id, row, names, keep)
        return _reuse(_rendered, object_id, type_id, object_id, row, (), keep)
    props, created_at, updated_at = row
    return named(type_id, object_id, orjson.loads(props), created_at, updated_at, shown)


def named(
    type_id: str, object_id: int, props: dict[str, str], created_at: int, updated_at: int,
    names: tuple[str, ...],
) -> bytes:
    """What ``render.obj`` gives for a live object with these (defined) properties shown."""
    computed = COMPUTED[type_id]
    plan = [(n, computed.get(n)) for n in names]
    return _body(object_id, props, created_at, updated_at, plan, show_unset=True)


def _reuse(
    cache: dict[Any, tuple[str, str, int, int, bytes]], key: Any, type_id: str,
    object_id: int, row: tuple[str, int, int], names: tuple[str, ...], keep: bool = True,
) -> bytes:
    """The answer built before from the same row, or built now (``names``: those shown,
    or the default set) and, if ``keep``, kept."""
    props, created_at, updated_at = row
    seen = cache.get(key)
    if (
        seen is not None and seen[1] == props and seen[2] == created_at
        and seen[3] == updated_at and seen[0] == type_id
    ):
        return seen[4]
    values = orjson.loads(props)
    body = (
        named(type_id, object_id, values, created_at, updated_at, names) if names
        else document(type_id, object_id, values, created_at, updated_at)
    )
    if keep:
        if len(cache) >= RENDERED_MAX:
            cache.clear()
        cache[key] = (type_id, props, created_at, updated_at, body)
    return body


def document(
    type_id: str, object_id: int, props: dict[str, str], created_at: int, updated_at: int
) -> bytes:
    """What ``render.obj`` gives for the default view of a live object with these values."""
    return _body(object_id, props, created_at, updated_at, PLANS[type_id], show_unset=False)


def _body(
    object_id: int, props: dict[str, str], created_at: int, updated_at: int,
    plan: Iterable[tuple[str, str | None]], *, show_unset: bool,
) -> bytes:
    """A SimplePublicObject of a live object: each property of ``plan`` from the stored
    values (unset ones as null, or left out) or the row's column it is computed from."""
    key = str(object_id)
    created = ms_to_iso(created_at)
    updated = ms_to_iso(updated_at)
    shown: dict[str, str | None] = {}
    for name, column in plan:
        if column is None:
            value = props.get(name)
            if value is not None or show_unset:
                shown[name] = value
        elif column == "id":
            shown[name] = key
        else:
            shown[name] = created if column == "created_at" else updated
    return orjson.dumps({
        "id": key, "properties": shown, "createdAt": created, "updatedAt": updated,
        "archived": False,
    })


__all__ = ["PLANS", "RENDERED_MAX", "SERVED", "document", "from_row", "named"]

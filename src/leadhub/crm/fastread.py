"""The v3 GET of one object by id with the default properties, read directly.

``GET /crm/v3/objects/{objectType}/{objectId}`` with nothing but a
credential is the v3 point read. Its answer is one row of ``objects``
rendered with the type's default properties, all of them HubSpot's own
(always defined, never archivable), so it needs neither the property
definitions nor a transaction: one statement on the point-read connection
(``Database.fast_rows``), then the same view and render code as the
ordinary face (crm/objects.py, crm/render.py). The row is the source of
truth itself, so nothing can be stale. Anything else (another parameter,
an id that is not a plain number, no such live object) is left to the
ordinary face, which answers it or renders its error.
"""

from __future__ import annotations

import orjson

from leadhub import crm_types as ct
from leadhub.crm import render
from leadhub.crm.objects import Want, views
from leadhub.crm.property_defaults import DEFAULT_RETURNED, DEFAULTS
from leadhub.store import Database
from leadhub.store.objects import ObjectRow

PREFIX = "/crm/v3/objects/"

BY_ID = (
    "SELECT props, created_at, updated_at FROM objects "
    "WHERE id = ? AND portal_id = ? AND object_type = ? AND archived = 0"
)
_DEFAULT = Want([], [], [])
# Types whose default properties are all HubSpot's own (so always defined).
_SERVED = frozenset(
    t for t, names in DEFAULT_RETURNED.items() if set(names) <= DEFAULTS.get(t, {}).keys()
)


def object_path(path: str) -> tuple[str, int] | None:
    """(object type, id) of a ``/crm/v3/objects/{type}/{id}`` path with a plain numeric id."""
    parts = path[len(PREFIX):].split("/")
    if len(parts) != 2:
        return None
    name, key = parts
    type_id = ct.TYPE_BY_NAME.get(name.strip().lower())
    if type_id not in _SERVED:
        return None
    if not (key.isascii() and key.isdigit() and len(key) < 19):
        return None
    return type_id, int(key)


def by_id(db: Database, portal_id: int, type_id: str, object_id: int) -> bytes | None:
    """A live object's SimplePublicObject with the default properties, or None."""
    rows = db.fast_rows(BY_ID, (object_id, portal_id, type_id))
    if not rows:
        return None
    props, created_at, updated_at = rows[0]
    row = ObjectRow(
        id=object_id, portal_id=portal_id, object_type=type_id, props=orjson.loads(props),
        created_at=created_at, updated_at=updated_at, archived=False, archived_at=None,
    )
    # Definitions are only consulted for the default names, all in DEFAULTS.
    view = views(None, portal_id, [row], _DEFAULT, defs=DEFAULTS[type_id])[0]  # type: ignore[arg-type]
    return orjson.dumps(render.obj(view))

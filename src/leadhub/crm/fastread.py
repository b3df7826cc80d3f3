"""The v3 GET of one object by id with the default properties, read directly.

``GET /crm/v3/objects/{objectType}/{objectId}`` with nothing but a
credential is the v3 point read. Its answer is one row of ``objects``
rendered with the type's default properties, all of them HubSpot's own
(always defined, never archivable), so it needs neither the property
definitions nor a transaction: one statement on the point-read connection
(``Database.fast_rows``), then the answer built directly from the row by
a plan made once per type (crm/rowrender.py). Building the view objects and
the generic render cost more than the read itself. The row is the source of
truth itself, so nothing can be stale: an answer built before is reused
only for a row read now that is the same in every column the answer comes
from.

The same read with ``archived=false`` (what it means anyway), with
``idProperty`` naming one of HubSpot's own unique-value properties (a
contact by email, a company by domain: the value trimmed and lower-cased,
looked up in the same snapshot as the row), or with ``properties=`` (the
official client's ``properties=[...]``) is answered here too: the asked
names are parsed as the ordinary face does (repeated or comma separated,
trimmed, empty ones and repeats dropped), the names without a live
definition are left out, and each one kept is shown, null when unset.
HubSpot's own properties are always defined; other names are looked up in
the stored definitions in the same snapshot as the row. Anything else
(another parameter, ``archived=true``, a custom ``idProperty``, an id that
is not a plain number, no such live object) is left to the ordinary face,
which answers it or renders its error.

A page of ``GET /crm/v3/objects/{objectType}`` (the official client's
``get_page``) with ``limit``, ``after`` and the parameters above but
``idProperty`` is answered here too (``page``): the page's rows in one
statement in id order, the names' definitions in the same snapshot, each
object built as a read by id builds it, and ``paging.next`` as the ordinary
face writes it.

On PostgreSQL the reads by id and the pages that need nothing but the rows
(HubSpot's own properties, no ``idProperty`` but ``hs_object_id``) are
answered the same way: a read by id by the point-read lane, with the reads
waiting at once in one statement (``read_batched``, store/pgbatch.py), and
by the ordinary face's routes where the lane leaves it (``read_pg``, as
``page_pg`` a page), with one statement on the store's point-read
connections (store/pgpoint.py): no transaction, no ping.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from leadhub import crm_types as ct
from leadhub.crm.params import page_window, paging_next
from leadhub.crm.property_defaults import DEFAULTS
from leadhub.crm.rowrender import SERVED, from_row
from leadhub.store import Database
from leadhub.store.crm_properties import live_stored_names_sql
from leadhub.store.crm_query import (
    LIVE_BY_ID,
    LIVE_BY_ID_PG,
    LIVE_BY_IDS_PG,
    LIVE_PAGE_ROWS,
    LIVE_PAGE_ROWS_PG,
)
from leadhub.store.pgbatch import BatchReads
from leadhub.store.pgpoint import PointRows
from leadhub.store.uniquevalues import FIND_UNIQUE
from leadhub.util import parse_bool

PREFIX = "/crm/v3/objects/"

# Per type, HubSpot's own unique-value properties: an ``idProperty`` the fast way can
# resolve without the portal's definitions (``hasUniqueValue`` cannot be changed, and
# HubSpot's own properties cannot be archived or created again).
UNIQUE: dict[str, frozenset[str]] = {
    t: frozenset(n for n, d in DEFAULTS[t].items() if d.get("hasUniqueValue")) for t in SERVED
}


def object_path(path: str) -> tuple[str, str] | None:
    """(object type, the path's object key) of a ``/crm/v3/objects/{type}/{key}`` path."""
    parts = path[len(PREFIX):].split("/")
    if len(parts) != 2 or not parts[1]:
        return None
    name, key = parts
    type_id = ct.TYPE_BY_NAME.get(name.strip().lower())
    if type_id not in SERVED:
        return None
    return type_id, key


def _plain_id(key: str) -> int | None:
    return int(key) if key.isascii() and key.isdigit() and len(key) < 19 else None


@functools.lru_cache(maxsize=256)
def asked(params: tuple[tuple[str, str], ...]) -> tuple[tuple[str, ...], str | None] | None:
    """The property names a read asks for (empty: the default set) and its ``idProperty``
    (None: the object id), or None to decline. Remembered for the parameters seen last
    (the official client sends the same ones with every read of a call site).

    Only ``properties``, one ``archived`` that says false and one ``idProperty``
    are served here; the names are what ``crm.params.array`` makes of them.
    """
    names: list[str] = []
    archived = False
    id_property = None
    for key, value in params:
        if key == "properties":
            names.extend(p.strip() for p in value.split(","))
        elif key == "archived" and not archived and parse_bool(value) is False:
            archived = True
        elif key == "idProperty" and id_property is None:
            id_property = value
        else:
            return None
    return tuple(dict.fromkeys(n for n in names if n)), id_property


def read(
    db: Database, portal_id: int, type_id: str, key: str, params: Sequence[tuple[str, str]]
) -> bytes | None:
    """The answer to a GET by id or ``idProperty`` with these parameters (no credential),
    or None to decline. On the event loop the answer is kept until the next commit to the
    store (store/kept.py ``KeptAnswers``)."""
    asked_for = tuple(params)
    return db.kept_or_read(
        (portal_id, type_id, key, asked_for),
        lambda: _read(db, portal_id, type_id, key, asked_for),
    )


def _read(
    db: Database, portal_id: int, type_id: str, key: str, params: tuple[tuple[str, str], ...]
) -> bytes | None:
    """``read``, from the store."""
    found = asked(params) if params else ((), None)
    if found is None:
        return None
    names, id_property = found
    if not id_property or id_property == "hs_object_id":
        object_id = _plain_id(key)
        if object_id is None:
            return None
        if all(n in DEFAULTS[type_id] for n in names):
            # HubSpot's own names only: one statement, the row.
            return _answer(db.fast_rows, portal_id, type_id, object_id, names)
        with db.fast_read() as rows_of:
            return _answer(rows_of, portal_id, type_id, object_id, names)
    if id_property not in UNIQUE[type_id]:
        return None  # another property: the portal's definitions decide
    with db.fast_read() as rows_of:
        # The lookup and the row in one snapshot, as the ordinary face reads them.
        held = rows_of(FIND_UNIQUE, (portal_id, type_id, id_property, key.strip().lower()))
        if not held:
            return None
        return _answer(rows_of, portal_id, type_id, held[0][0], names)


def read_pg(
    rows: PointRows, portal_id: int, type_id: str, key: str, params: Sequence[tuple[str, str]]
) -> bytes | None:
    """``read`` on PostgreSQL, for a read by id of HubSpot's own properties (one statement
    with ``rows``); None to decline (the ordinary face answers)."""
    target = _pg_target(type_id, key, params)
    if target is None:
        return None
    object_id, names = target
    row = rows(LIVE_BY_ID_PG, (object_id, portal_id, type_id))
    return from_row(type_id, object_id, row[0], names, names) if row else None


async def read_batched(
    batch: BatchReads, portal_id: int, type_id: str, key: str,
    params: Sequence[tuple[str, str]],
) -> bytes | None:
    """``read_pg`` with the reads waiting at once in one statement (store/pgbatch.py),
    the answer kept while nothing is committed to the store (``BatchReads.kept_or_read``)."""
    target = _pg_target(type_id, key, params)
    if target is None:
        return None
    object_id, names = target

    async def read() -> bytes | None:
        row = await batch.get(LIVE_BY_IDS_PG, (object_id, portal_id, type_id))
        return from_row(type_id, object_id, row[1:], names, names) if row else None

    return await batch.kept_or_read((PREFIX, portal_id, type_id, object_id, names), read)


def _pg_target(
    type_id: str, key: str, params: Sequence[tuple[str, str]]
) -> tuple[int, tuple[str, ...]] | None:
    """The object id and the property names of a read by id that PostgreSQL's row alone
    answers (HubSpot's own properties, no ``idProperty`` but ``hs_object_id``), or None."""
    found = asked(tuple(params)) if params else ((), None)
    if type_id not in SERVED or found is None:
        return None
    names, id_property = found
    object_id = _plain_id(key)
    if (
        object_id is None or (id_property and id_property != "hs_object_id")
        or not all(n in DEFAULTS[type_id] for n in names)
    ):
        return None
    return object_id, names


def by_id(db: Database, portal_id: int, type_id: str, object_id: int) -> bytes | None:
    """A live object's SimplePublicObject with the default properties, or None."""
    return _answer(db.fast_rows, portal_id, type_id, object_id, ())


def _answer(
    rows_of: Callable[[str, Any], list[tuple[Any, ...]]], portal_id: int, type_id: str,
    object_id: int, names: tuple[str, ...],
) -> bytes | None:
    """A live object's SimplePublicObject with the properties named (none: the default
    set), read with ``rows_of`` (several statements: one snapshot), or None."""
    rows = rows_of(LIVE_BY_ID, (object_id, portal_id, type_id))
    if not rows:
        return None
    shown = _shown(rows_of, portal_id, type_id, names)
    return from_row(type_id, object_id, rows[0], names, shown)


def _shown(
    rows_of: Callable[[str, Any], list[tuple[Any, ...]]], portal_id: int, type_id: str,
    names: tuple[str, ...],
) -> tuple[str, ...]:
    """The names asked for that are shown: HubSpot's own, and others only if the portal
    has a live stored definition of them (read with ``rows_of``)."""
    builtin = DEFAULTS[type_id]
    others = [n for n in names if n not in builtin]
    if not others:
        return names
    live = {r[0] for r in rows_of(
        live_stored_names_sql(len(others)), (portal_id, type_id, *others)
    )}
    return tuple(n for n in names if n in builtin or n in live)


def list_path(path: str) -> str | None:
    """The object type of a ``/crm/v3/objects/{type}`` path (a list of pages) served here."""
    name = path[len(PREFIX):]
    if "/" in name:
        return None
    type_id = ct.TYPE_BY_NAME.get(name.strip().lower())
    return type_id if type_id in SERVED else None


def page(
    db: Database, portal_id: int, type_id: str, params: Sequence[tuple[str, str]],
    base_url: str,
) -> bytes | None:
    """The answer to ``GET /crm/v3/objects/{type}`` (a page of live objects in id order,
    as crm/routes.py ``list_objects`` answers it) with these parameters (no credential),
    or None to decline.

    Served: ``limit`` and ``after`` (read as the ordinary face reads them,
    ``crm.params.page_window``) and what a read by id takes here but ``idProperty``,
    each at most once; anything else is the ordinary face's, which answers it or
    renders its error."""
    asked_page = _page_asked(params)
    if asked_page is None:
        return None
    limit, after, names = asked_page
    with db.fast_read() as rows_of:
        rows = rows_of(LIVE_PAGE_ROWS, (portal_id, type_id, after, limit + 1))
        shown = _shown(rows_of, portal_id, type_id, names)
    return _page_body(type_id, rows, limit, names, shown, params, base_url)


def page_pg(
    rows: PointRows, portal_id: int, type_id: str, params: Sequence[tuple[str, str]],
    base_url: str,
) -> bytes | None:
    """``page`` on PostgreSQL, for a page of HubSpot's own properties (one statement with
    ``rows``); None to decline (the ordinary face answers)."""
    asked_page = _page_asked(params) if type_id in SERVED else None
    if asked_page is None:
        return None
    limit, after, names = asked_page
    if not all(n in DEFAULTS[type_id] for n in names):
        return None
    found = rows(LIVE_PAGE_ROWS_PG, (portal_id, type_id, after, limit + 1))
    return _page_body(type_id, found, limit, names, names, params, base_url)


def _page_asked(
    params: Sequence[tuple[str, str]],
) -> tuple[int, int, tuple[str, ...]] | None:
    """A page's limit, cursor and property names, or None to decline."""
    given = dict(params)
    if len(given) != len(params):
        return None
    limit, after = page_window(given)  # invalid: raises, and the ordinary face answers 400
    found = asked(tuple(p for p in params if p[0] not in ("limit", "after")))
    if found is None or found[1] is not None:
        return None
    return limit, after, found[0]


def _page_body(
    type_id: str, rows: Sequence[tuple[Any, ...]], limit: int, names: tuple[str, ...],
    shown: tuple[str, ...], params: Sequence[tuple[str, str]], base_url: str,
) -> bytes:
    """A page's answer from up to ``limit + 1`` rows (id, props, created, updated)."""
    parts = [b'{"results":[', b",".join(
        from_row(type_id, r[0], r[1:], names, shown, keep=False) for r in rows[:limit]
    ), b"]"]
    if len(rows) > limit:
        parts += [b',"paging":', orjson.dumps(
            paging_next(base_url, type_id, params, rows[limit - 1][0]))]
    parts.append(b"}")
    return b"".join(parts)

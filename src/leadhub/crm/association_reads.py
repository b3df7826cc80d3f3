"""Reading associations: one object's page of targets, and batches of objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from leadhub.crm import association_types as types
from leadhub.crm.association_types import AssocType
from leadhub.crm.associations import load_object, parse_id, with_unlabeled
from leadhub.errors import LeadhubError, NotFound, ValidationError
from leadhub.store import associations as assoc_store
from leadhub.store.objects import ObjectRow
from leadhub.values import digits

DEFAULT_LIMIT = 500  # crm-associations-v4.json: limit defaults to 500
MAX_LIMIT = 500


@dataclass
class Target:
    """One associated object and the types that link to it."""

    to_id: int
    types: list[AssocType]


@dataclass
class TargetPage:
    """A page of an object's associated objects of one type."""

    from_row: ObjectRow
    to_type: str
    targets: list[Target]
    next_after: str | None


@dataclass
class BatchRead:
    """Per-input results and errors of a batch read."""

    pages: list[TargetPage] = field(default_factory=list)
    errors: list[LeadhubError] = field(default_factory=list)


def parse_limit(raw: str | None, default: int = DEFAULT_LIMIT, most: int = MAX_LIMIT) -> int:
    """A page size from a query string; 400 unless 1..most."""
    if raw is None or raw == "":
        return default
    if not digits(raw.strip()) or not 1 <= int(raw) <= most:
        raise ValidationError(f"limit must be an integer from 1 to {most} (got {raw!r})")
    return int(raw)


def parse_after(raw: object) -> int | None:
    """A paging cursor (the last target id of the previous page); 400 if malformed."""
    if raw is None or raw == "":
        return None
    after = parse_id(raw)
    if after is None and raw not in (0, "0"):
        raise ValidationError(f"after must be a paging cursor from a previous page (got {raw!r})")
    return after or 0


def page_for(
    conn: Connection,
    from_row: ObjectRow,
    to_type: str,
    *,
    after: int | None,
    limit: int,
) -> TargetPage:
    """The associated objects of one type, ``limit`` targets after the cursor."""
    known = types.by_id(conn, from_row.portal_id, from_row.object_type, to_type)
    grouped, last = assoc_store.page(
        conn, from_row.portal_id, from_row.id, to_type, after=after, limit=limit
    )
    targets = []
    for to_id, rows in grouped.items():
        found = [known[r.type_id] for r in rows if r.type_id in known]
        if found:
            targets.append(Target(to_id, with_unlabeled(found, from_row.object_type, to_type)))
    return TargetPage(from_row, to_type, targets, str(last) if last is not None else None)


def list_targets(
    conn: Connection,
    portal_id: int,
    from_type: str,
    from_id: str,
    to_type: str,
    *,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> TargetPage:
    """GET .../associations/{toObjectType} (v3 and v4): one object's associated objects."""
    types.require_pair(from_type, to_type)
    row = load_object(conn, portal_id, from_type, from_id)
    return page_for(conn, row, to_type, after=parse_after(after), limit=limit)


def batch_read(
    conn: Connection, portal_id: int, from_type: str, to_type: str, inputs: list[dict[str, object]]
) -> BatchRead:
    """POST .../batch/read: each input's associated objects, or an error for that input.

    An object that does not exist, or has no associations of this type, is an
    error of its own (HubSpot answers 207 with ``NO_ASSOCIATIONS_FOUND``).
    """
    types.require_pair(from_type, to_type)
    out = BatchRead()
    for item in inputs:
        raw_id = item.get("id")
        try:
            row = load_object(conn, portal_id, from_type, raw_id)
            page = page_for(
                conn, row, to_type, after=parse_after(item.get("after")), limit=DEFAULT_LIMIT
            )
        except (NotFound, ValidationError) as exc:
            out.errors.append(exc)
            continue
        if not page.targets:
            out.errors.append(
                NotFound(
                    f"No {types.type_name(to_type)} is associated with "
                    f"{types.type_name(from_type)} {raw_id}.",
                    context={"fromObjectId": [str(raw_id)]},
                    sub_category="crm.associations.NO_ASSOCIATIONS_FOUND",
                )
            )
            continue
        out.pages.append(page)
    return out


__all__ = [
    "BatchRead",
    "Target",
    "TargetPage",
    "batch_read",
    "list_targets",
    "page_for",
    "parse_after",
    "parse_limit",
]

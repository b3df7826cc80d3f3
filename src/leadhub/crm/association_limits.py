"""Association limits (the schema API's "definition configurations").

A portal may cap how many objects of one association type a single object can
be associated with (``maxToObjectIds``). New associations that would pass the
cap are refused with a 400; existing ones are left alone when a cap is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.crm import association_types as types
from leadhub.crm.association_types import AssocType
from leadhub.errors import LeadhubError, NotFound, ValidationError
from leadhub.store import association_labels as label_store
from leadhub.store import associations as assoc_store

MAX_INPUTS = 100


@dataclass
class Limit:
    """One type and its user-enforced limit (None: no limit set)."""

    type: AssocType
    most: int | None


@dataclass
class LimitBatch:
    """Per-input results and errors of a batch of limit changes."""

    results: list[Limit] = field(default_factory=list)
    errors: list[LeadhubError] = field(default_factory=list)


def _pairs() -> list[tuple[str, str]]:
    return list(dict.fromkeys((t.from_type, t.to_type) for t in ct.DEFINED_TYPES))


def list_all(conn: Connection, portal_id: int) -> list[Limit]:
    """Every type of the portal that has a limit set."""
    limits = label_store.limits(conn, portal_id)
    out = []
    for from_type, to_type in _pairs():
        for t in types.types_between(conn, portal_id, from_type, to_type):
            if t.type_id in limits:
                out.append(Limit(t, limits[t.type_id]))
    return out


def list_between(conn: Connection, portal_id: int, from_type: str, to_type: str) -> list[Limit]:
    """Every type from one object type to another, with its limit when one is set."""
    types.require_pair(from_type, to_type)
    found = types.types_between(conn, portal_id, from_type, to_type)
    limits = label_store.limits(conn, portal_id, [t.type_id for t in found])
    return [Limit(t, limits.get(t.type_id)) for t in found]


def _inputs(body: object) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise ValidationError("the request body must be an object with an inputs list")
    inputs = body["inputs"]
    if len(inputs) > MAX_INPUTS or not all(isinstance(i, dict) for i in inputs):
        raise ValidationError(f"inputs must be at most {MAX_INPUTS} objects")
    return inputs


def _most(item: dict[str, Any]) -> int:
    most = item.get("maxToObjectIds")
    if isinstance(most, bool) or not isinstance(most, int) or most < 1:
        raise ValidationError(f"maxToObjectIds must be a positive integer (got {most!r})")
    return most


def set_limits(
    conn: Connection,
    portal_id: int,
    from_type: str,
    to_type: str,
    body: object,
    at: int,
    *,
    create: bool,
) -> LimitBatch:
    """batch/create (the type must have no limit yet) or batch/update (it must have one)."""
    types.require_pair(from_type, to_type)
    out = LimitBatch()
    for item in _inputs(body):
        try:
            kind = types.resolve(
                conn, portal_id, from_type, to_type, item.get("typeId"), item.get("category")
            )
            most = _most(item)
            has = kind.type_id in label_store.limits(conn, portal_id, [kind.type_id])
            if create and has:
                raise ValidationError(
                    f"association type {kind.type_id} already has a limit; update it instead"
                )
            if not create and not has:
                raise NotFound(f"association type {kind.type_id} has no limit to update")
        except (NotFound, ValidationError) as exc:
            out.errors.append(exc)
            continue
        label_store.set_limit(conn, portal_id, kind.type_id, most, at)
        out.results.append(Limit(kind, most))
    return out


def purge(conn: Connection, portal_id: int, from_type: str, to_type: str, body: object) -> None:
    """batch/purge: remove the limits of the given types (``{category, typeId}``)."""
    types.require_pair(from_type, to_type)
    kinds = [
        types.resolve(conn, portal_id, from_type, to_type, i.get("typeId"), i.get("category"))
        for i in _inputs(body)
    ]
    label_store.delete_limits(conn, portal_id, [k.type_id for k in kinds])


def check(conn: Connection, portal_id: int, from_id: int, to_id: int, kind: AssocType) -> None:
    """Refuse an association that takes either object past its type's limit."""
    limits = label_store.limits(conn, portal_id, [kind.type_id, kind.reverse_id])
    for obj_id, type_id in ((from_id, kind.type_id), (to_id, kind.reverse_id)):
        most = limits.get(type_id)
        if most is not None and assoc_store.count_of_type(conn, portal_id, obj_id, type_id) > most:
            raise ValidationError(
                f"object {obj_id} would have more than {most} associations of type {type_id}",
                context={"associationTypeId": [str(type_id)], "limit": [str(most)]},
                sub_category="crm.associations.ASSOCIATION_LIMIT_EXCEEDED",
            )


__all__ = ["Limit", "LimitBatch", "check", "list_all", "list_between", "purge", "set_limits"]

"""Association types: HubSpot's defined types plus a portal's custom labels.

Type ids are directional (578 is lead -> primary contact, 579 the same
association seen from the contact). A type is valid only between the two
object types it was defined for; anything else is a 400, as in HubSpot.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.errors import ValidationError
from leadhub.store import association_labels as label_store
from leadhub.values import digits


@dataclass(frozen=True)
class AssocType:
    """One direction of an association type, defined or custom."""

    type_id: int
    reverse_id: int
    category: str
    from_type: str
    to_type: str
    name: str
    label: str | None
    primary: bool = False
    unlabeled: bool = False


def object_type(name: str) -> str:
    """The object type id a path segment names (``leads``, ``0-136``, ``contact``...)."""
    found = ct.TYPE_BY_NAME.get(name.strip().lower())
    if found is None:
        raise ValidationError(f"Unable to infer object type from: {name}")
    return found


def type_name(object_type_id: str) -> str:
    """The plural name of an object type (``leads``), used as a key in v3 bodies."""
    return ct.NAME_BY_TYPE.get(object_type_id, object_type_id)


def _defined(t: ct.DefinedType) -> AssocType:
    return AssocType(
        type_id=t.type_id,
        reverse_id=t.reverse_id,
        category=ct.HUBSPOT_DEFINED,
        from_type=t.from_type,
        to_type=t.to_type,
        name=t.name,
        label=t.label,
        primary=t.primary,
        unlabeled=t.unlabeled,
    )


def _custom(row: label_store.LabelRow) -> AssocType:
    return AssocType(
        type_id=row.type_id,
        reverse_id=row.reverse_type_id,
        category=ct.USER_DEFINED,
        from_type=row.from_type,
        to_type=row.to_type,
        name=row.name,
        label=row.label,
    )


def require_pair(from_type: str, to_type: str) -> AssocType:
    """The unlabeled type between two object types; 400 if they cannot be associated."""
    unlabeled = ct.unlabeled_between(from_type, to_type)
    if unlabeled is None:
        raise ValidationError(
            f"{type_name(from_type)} cannot be associated with {type_name(to_type)}"
        )
    return _defined(unlabeled)


def unlabeled_exists(from_type: str, to_type: str) -> bool:
    """Whether objects of these two types can be associated at all."""
    return ct.unlabeled_between(from_type, to_type) is not None


def types_between(
    conn: Connection, portal_id: int, from_type: str, to_type: str
) -> list[AssocType]:
    """Every type from one object type to another: defined ones, then the portal's labels."""
    defined = [_defined(t) for t in ct.defined_between(from_type, to_type)]
    if not defined:
        return []
    custom = [_custom(r) for r in label_store.between(conn, portal_id, from_type, to_type)]
    return defined + custom


def by_id(
    conn: Connection, portal_id: int, from_type: str, to_type: str
) -> dict[int, AssocType]:
    """The types between two object types keyed by type id."""
    return {t.type_id: t for t in types_between(conn, portal_id, from_type, to_type)}


def resolve(
    conn: Connection,
    portal_id: int,
    from_type: str,
    to_type: str,
    type_id: object,
    category: object = None,
) -> AssocType:
    """A type valid from ``from_type`` to ``to_type``; 400 otherwise.

    ``category`` (when given) must match: HUBSPOT_DEFINED 578 and a
    USER_DEFINED label are different things even if ids looked alike.
    """
    require_pair(from_type, to_type)
    if isinstance(type_id, bool) or not isinstance(type_id, (int, str)):
        raise ValidationError(f"associationTypeId must be an integer (got {type_id!r})")
    try:
        number = int(type_id)
    except ValueError:
        raise ValidationError(f"associationTypeId must be an integer (got {type_id!r})") from None
    if category is not None and category not in ct.CATEGORIES:
        raise ValidationError(
            f"associationCategory must be one of {', '.join(ct.CATEGORIES)} (got {category!r})"
        )
    found = by_id(conn, portal_id, from_type, to_type).get(number)
    if found is None or (category is not None and found.category != category):
        shown = f"{category} " if category else ""
        raise ValidationError(
            f"{shown}association type id {number} is not valid "
            f"from {type_name(from_type)} to {type_name(to_type)}",
            sub_category="crm.associations.INVALID_ASSOCIATION_TYPE",
        )
    return found


def resolve_v3(
    conn: Connection, portal_id: int, from_type: str, to_type: str, text: str
) -> AssocType:
    """A v3 path's association type: a type id or a type name (``lead_to_primary_contact``)."""
    if digits(text.strip()):
        return resolve(conn, portal_id, from_type, to_type, text.strip())
    require_pair(from_type, to_type)
    for t in types_between(conn, portal_id, from_type, to_type):
        if t.name.lower() == text.strip().lower():
            return t
    raise ValidationError(
        f"association type {text!r} is not valid "
        f"from {type_name(from_type)} to {type_name(to_type)}",
        sub_category="crm.associations.INVALID_ASSOCIATION_TYPE",
    )


def resolve_specs(
    conn: Connection, portal_id: int, from_type: str, to_type: str, specs: object
) -> list[AssocType]:
    """A list of ``{associationCategory, associationTypeId}`` (a v4 body) as types."""
    if not isinstance(specs, list):
        raise ValidationError(
            "expected a list of {associationCategory, associationTypeId} objects"
        )
    out: list[AssocType] = []
    for spec in specs:
        if not isinstance(spec, dict):
            raise ValidationError(
                "each association type must be an object with associationCategory "
                "and associationTypeId"
            )
        missing = [k for k in ("associationCategory", "associationTypeId") if k not in spec]
        if missing:
            raise ValidationError(f"association type is missing {', '.join(missing)}")
        out.append(
            resolve(
                conn, portal_id, from_type, to_type,
                spec["associationTypeId"], spec["associationCategory"],
            )
        )
    return out


__all__ = [
    "AssocType",
    "by_id",
    "object_type",
    "require_pair",
    "resolve",
    "resolve_specs",
    "resolve_v3",
    "type_name",
    "types_between",
    "unlabeled_exists",
]

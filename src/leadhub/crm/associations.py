"""Associations between CRM objects: the rules every face goes through.

Rules (HubSpot's associations v4 guide and the leads guide):

- Both objects must exist, live, in the portal; otherwise 404 (another
  portal's ids are unknown ids).
- The type must be valid for the pair of object types; otherwise 400.
- Every associated pair has the pair's unlabeled type; labels (primary,
  custom) come on top of it. Removing the unlabeled type removes them all.
- A lead has at most one primary contact and a contact at most one primary
  company: setting a new primary moves it (the old pair stays associated).
- A portal's association limits (schema API configurations) are enforced on
  every new association, in both directions.
- Removing a lead's last primary association deletes (archives) the lead.
  The v1 view shows the change: the v1 lead is the lead plus its primary
  contact, so moving the primary contact changes the v1 lead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.crm import association_limits as limits
from leadhub.crm import association_types as types
from leadhub.crm.association_types import AssocType
from leadhub.errors import NotFound, ValidationError
from leadhub.store import associations as assoc_store
from leadhub.store import events as event_store
from leadhub.store import objects as obj_store
from leadhub.store.associations import AssociationType
from leadhub.store.objects import ObjectRow
from leadhub.values import MAX_INT, digits

# Primary types whose "from" object may have only one of them (a lead's
# primary contact, a contact's primary company); the reverse directions
# (579, 2) have the single side as their "to" object.
_SINGLE_FROM = {ct.LEAD_TO_PRIMARY_CONTACT, ct.CONTACT_TO_PRIMARY_COMPANY}


@dataclass
class Pair:
    """Two objects and the association types from the first to the second."""

    from_row: ObjectRow
    to_row: ObjectRow
    types: list[AssocType]

    def labels(self) -> list[str]:
        """The labels of the pair's labelled types (the unlabeled type has none)."""
        return [t.label for t in self.types if t.label is not None]


def parse_id(raw: object) -> int | None:
    """An object id from a path or body (string or integer); None if it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and digits(raw.strip()):
        raw = int(raw.strip())
    if isinstance(raw, int):
        # Past 64 bits no row can have it (and SQL cannot even compare it).
        return raw if 0 < raw <= MAX_INT else None
    return None


def load_object(
    conn: Connection, portal_id: int, object_type: str, raw_id: object, *, lock: bool = False
) -> ObjectRow:
    """A live object of this portal and type; NotFound otherwise."""
    object_id = parse_id(raw_id)
    row = (
        obj_store.get(conn, portal_id, object_type, object_id, for_update=lock)
        if object_id is not None
        else None
    )
    if row is None:
        raise NotFound(
            f"No {types.type_name(object_type)} object with id {raw_id} exists",
            context={"id": [str(raw_id)]},
        )
    return row


def load_pair(
    conn: Connection, portal_id: int, from_type: str, from_id: object, to_type: str, to_id: object
) -> tuple[ObjectRow, ObjectRow]:
    """Both objects of an association, locked in id order.

    Two writers touching the same pair from opposite sides (lead -> contact
    and contact -> lead) then queue instead of deadlocking on PostgreSQL.
    """
    src = load_object(conn, portal_id, from_type, from_id)
    dst = load_object(conn, portal_id, to_type, to_id)
    locked = {
        row.id: load_object(conn, portal_id, row.object_type, row.id, lock=True)
        for row in sorted((src, dst), key=lambda r: r.id)
    }
    return locked[src.id], locked[dst.id]


def _kind(t: AssocType) -> AssociationType:
    return AssociationType(t.type_id, t.reverse_id, t.category)


def current(conn: Connection, portal_id: int, from_row: ObjectRow, to_row: ObjectRow) -> Pair:
    """The association types from one object to another, unlabeled type included."""
    known = types.by_id(conn, portal_id, from_row.object_type, to_row.object_type)
    rows = assoc_store.between(conn, portal_id, from_row.id, to_row.id)
    found = [known[r.type_id] for r in rows if r.type_id in known]
    return Pair(from_row, to_row, with_unlabeled(found, from_row.object_type, to_row.object_type))


def with_unlabeled(found: list[AssocType], from_type: str, to_type: str) -> list[AssocType]:
    """Add the pair's unlabeled type to a non-empty type list (rows may imply it)."""
    if found and not any(t.unlabeled for t in found):
        found = [types.require_pair(from_type, to_type), *found]
    return sorted(found, key=lambda t: (t.category != ct.HUBSPOT_DEFINED, t.type_id))


# ---------------------------------------------------------------- writing


def associate(
    conn: Connection,
    portal_id: int,
    from_type: str,
    from_id: object,
    to_type: str,
    to_id: object,
    kinds: list[AssocType],
    at: int,
    *,
    replace_labels: bool = False,
) -> Pair:
    """Associate two objects with the given types (and the unlabeled type).

    ``replace_labels`` drops the pair's custom labels that are not in
    ``kinds`` (v4 PUT: "to replace the existing label, only include the new
    label"); HubSpot-defined types are only removed by the delete routes.
    """
    src, dst = load_pair(conn, portal_id, from_type, from_id, to_type, to_id)
    return associate_rows(conn, src, dst, kinds, at, replace_labels=replace_labels)


def associate_rows(
    conn: Connection,
    src: ObjectRow,
    dst: ObjectRow,
    kinds: list[AssocType],
    at: int,
    *,
    replace_labels: bool = False,
) -> Pair:
    """Associate two loaded objects (see ``associate``)."""
    portal_id = src.portal_id
    unlabeled = types.require_pair(src.object_type, dst.object_type)
    wanted = [unlabeled, *[k for k in kinds if not k.unlabeled]]
    if replace_labels:
        keep = {k.type_id for k in wanted}
        for t in current(conn, portal_id, src, dst).types:
            if t.category == ct.USER_DEFINED and t.type_id not in keep:
                assoc_store.remove(conn, portal_id, src.id, dst.id, _kind(t))
    for kind in wanted:
        if kind.primary:
            _make_single_primary(conn, src, dst, kind, at)
        added = assoc_store.add(
            conn, portal_id, src.object_type, src.id, dst.object_type, dst.id, _kind(kind), at
        )
        if added:
            limits.check(conn, portal_id, src.id, dst.id, kind)
        if added and kind.type_id in (ct.LEAD_TO_PRIMARY_CONTACT, ct.PRIMARY_CONTACT_TO_LEAD):
            lead = src if src.object_type == ct.LEADS else dst
            obj_store.touch(conn, lead, at)
    return current(conn, portal_id, src, dst)


def _make_single_primary(
    conn: Connection, src: ObjectRow, dst: ObjectRow, kind: AssocType, at: int
) -> None:
    """Move a single-valued primary: drop the single side's other primary of this type."""
    if kind.type_id in _SINGLE_FROM:
        single, other_type, type_id = src, dst.object_type, kind.type_id
        other_id = dst.id
    else:
        single, other_type, type_id = dst, src.object_type, kind.reverse_id
        other_id = src.id
    forward = types.by_id(conn, src.portal_id, single.object_type, other_type)[type_id]
    unlabeled = types.require_pair(single.object_type, other_type)
    for link in assoc_store.targets(conn, src.portal_id, [single.id], type_id=type_id):
        if link.to_id == other_id:
            continue
        # The old pair stays associated, unlabeled.
        assoc_store.add(
            conn, src.portal_id, single.object_type, single.id, other_type, link.to_id,
            _kind(unlabeled), at,
        )
        assoc_store.remove(conn, src.portal_id, single.id, link.to_id, _kind(forward))


def disassociate(
    conn: Connection,
    portal_id: int,
    from_type: str,
    from_id: object,
    to_type: str,
    to_id: object,
    kinds: list[AssocType] | None,
    at: int,
) -> None:
    """Remove the given types between two objects (None or the unlabeled type: all)."""
    types.require_pair(from_type, to_type)
    src, dst = load_pair(conn, portal_id, from_type, from_id, to_type, to_id)
    disassociate_rows(conn, src, dst, kinds, at)


def disassociate_rows(
    conn: Connection, src: ObjectRow, dst: ObjectRow, kinds: list[AssocType] | None, at: int
) -> None:
    """Remove types between two loaded objects, then apply the lead rule."""
    portal_id = src.portal_id
    lead = src if src.object_type == ct.LEADS else dst if dst.object_type == ct.LEADS else None
    had_primary = lead is not None and _primary_count(conn, lead) > 0
    if kinds is None or any(k.unlabeled for k in kinds):
        assoc_store.remove_pair(conn, portal_id, src.id, dst.id)
    else:
        was = current(conn, portal_id, src, dst).types
        for kind in kinds:
            assoc_store.remove(conn, portal_id, src.id, dst.id, _kind(kind))
        if was:
            # A pair keeps its unlabeled association when a label goes.
            unlabeled = types.require_pair(src.object_type, dst.object_type)
            assoc_store.add(
                conn, portal_id, src.object_type, src.id, dst.object_type, dst.id,
                _kind(unlabeled), at,
            )
    if lead is not None and had_primary:
        after_primary_removed(conn, [lead], at)


def _primary_count(conn: Connection, lead: ObjectRow) -> int:
    return assoc_store.count_of_type(
        conn, lead.portal_id, lead.id, ct.LEAD_TO_PRIMARY_CONTACT
    )


def after_primary_removed(conn: Connection, leads: Iterable[ObjectRow], at: int) -> None:
    """Archive each live lead left without a primary association (HubSpot's leads guide:
    "If you remove all primary associations to the lead, the lead will automatically be
    deleted"); the v1 view records the deletion like a v1 delete."""
    for lead in leads:
        if lead.archived or _primary_count(conn, lead) > 0:
            continue
        event_store.add_log(conn, lead.portal_id, lead.id, event_store.DELETE, at, False)
        obj_store.set_archived(conn, lead, True, at)


# ---------------------------------------------------------------- for object create / read


def associate_new_object(
    conn: Connection, row: ObjectRow, inputs: object, at: int
) -> list[Pair]:
    """Apply the ``associations`` of a v3 create body to a just-created object.

    ``inputs`` is ``[{"to": {"id": ...}, "types": [{associationCategory,
    associationTypeId}]}]``. The target's object type is inferred from the
    type ids (each type id belongs to one pair of object types). Raises
    ValidationError (bad shape, unknown type) or NotFound (unknown target).
    """
    if inputs is None:
        return []
    if not isinstance(inputs, list):
        raise ValidationError("associations must be a list of {to, types} objects")
    pairs = []
    for item in inputs:
        if not isinstance(item, dict) or not isinstance(item.get("to"), dict):
            raise ValidationError("each association needs to: {id} and types: [...]")
        specs = item.get("types")
        if not isinstance(specs, list) or not specs:
            raise ValidationError("each association needs a non-empty types list")
        to_type = _infer_to_type(conn, row, specs)
        kinds = types.resolve_specs(conn, row.portal_id, row.object_type, to_type, specs)
        dst = load_object(conn, row.portal_id, to_type, item["to"].get("id"), lock=True)
        pairs.append(associate_rows(conn, row, dst, kinds, at))
    return pairs


def _infer_to_type(conn: Connection, row: ObjectRow, specs: list[object]) -> str:
    spec = specs[0]
    raw = spec.get("associationTypeId") if isinstance(spec, dict) else None
    for to_type in (ct.LEADS, ct.CONTACTS, ct.COMPANIES):
        if types.unlabeled_exists(row.object_type, to_type):
            known = types.by_id(conn, row.portal_id, row.object_type, to_type)
            if parse_id(raw) in known:
                return to_type
    raise ValidationError(
        f"association type id {raw!r} is not valid from {types.type_name(row.object_type)}",
        sub_category="crm.associations.INVALID_ASSOCIATION_TYPE",
    )


def associated_ids(
    conn: Connection, portal_id: int, from_type: str, from_ids: list[int], to_types: list[str]
) -> dict[int, dict[str, dict[str, list[dict[str, str]]]]]:
    """v3 ``associations=`` on object reads: ``{from_id: {"contacts": {"results": [...]}}}``.

    Each result is ``{"id": "<to id>", "type": "<type name>"}``, one per
    association type; target types with no associations are left out, as in
    HubSpot ("Any specified associations that don't exist will not be
    returned").
    """
    out: dict[int, dict[str, dict[str, list[dict[str, str]]]]] = {i: {} for i in from_ids}
    for to_type in dict.fromkeys(to_types):
        if not types.unlabeled_exists(from_type, to_type):
            continue
        links = assoc_store.targets(conn, portal_id, from_ids, to_type=to_type)
        if not links:
            continue
        known = types.by_id(conn, portal_id, from_type, to_type)
        live = {
            r.id
            for r in obj_store.get_many(conn, portal_id, {link.to_id for link in links}).values()
            if not r.archived
        }
        grouped: dict[int, dict[int, list[AssocType]]] = {}
        for link in links:
            if link.to_id in live and link.type_id in known:
                per = grouped.setdefault(link.from_id, {}).setdefault(link.to_id, [])
                per.append(known[link.type_id])
        for from_id, targets in grouped.items():
            results = [
                {"id": str(to_id), "type": t.name}
                for to_id, found in targets.items()
                for t in with_unlabeled(found, from_type, to_type)
            ]
            out[from_id][types.type_name(to_type)] = {"results": results}
    return out


__all__ = [
    "Pair",
    "after_primary_removed",
    "associate",
    "associate_new_object",
    "associate_rows",
    "associated_ids",
    "current",
    "disassociate",
    "disassociate_rows",
    "load_object",
    "load_pair",
    "parse_id",
    "with_unlabeled",
]

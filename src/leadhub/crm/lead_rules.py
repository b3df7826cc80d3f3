"""Associations given when an object is created, and the lead's creation rule.

HubSpot's leads guide: a new lead needs ``hs_lead_name`` and an association to
an existing contact (``HUBSPOT_DEFINED`` 578, lead to primary contact; 608 is
lead to contact and 610 lead to company). If only a 608 contact is given, the
first such contact also becomes the primary one, so that the lead has the
primary contact the v1 view and the "last primary removed" rule rely on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.errors import ValidationError
from leadhub.store import associations as assoc_store
from leadhub.store import objects as obj_store
from leadhub.store.associations import AssociationType

# HUBSPOT_DEFINED type id -> (from type, to type, reverse type id).
HUBSPOT_DEFINED: dict[int, tuple[str, str, int]] = {
    ct.LEAD_TO_PRIMARY_CONTACT: (ct.LEADS, ct.CONTACTS, ct.PRIMARY_CONTACT_TO_LEAD),
    ct.LEAD_TO_CONTACT: (ct.LEADS, ct.CONTACTS, ct.CONTACT_TO_LEAD),
    ct.LEAD_TO_COMPANY: (ct.LEADS, ct.COMPANIES, ct.COMPANY_TO_LEAD),
    1: (ct.CONTACTS, ct.COMPANIES, 2),
    279: (ct.CONTACTS, ct.COMPANIES, 280),
}
HUBSPOT_DEFINED.update(
    {rev: (to, frm, fwd) for fwd, (frm, to, rev) in list(HUBSPOT_DEFINED.items())}
)


@dataclass(frozen=True)
class AssociationInput:
    """One ``{to: {id}, types: [{associationCategory, associationTypeId}]}`` item, one type."""

    to_id: int
    category: str
    type_id: int


def _bad(message: str, code: str = "INVALID_ASSOCIATION") -> ValidationError:
    return ValidationError(message, errors=[{"message": message, "code": code}])


def parse(raw: Any) -> list[AssociationInput]:
    """Parse the ``associations`` array of a create input (absent means none)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad("associations must be a list")
    out = []
    for i, item in enumerate(raw):
        to = item.get("to") if isinstance(item, dict) else None
        to_id = to.get("id") if isinstance(to, dict) else None
        if isinstance(to_id, int) and not isinstance(to_id, bool):
            to_id = str(to_id)
        if not isinstance(to_id, str) or not to_id.strip().isdigit():
            raise _bad(f"associations[{i}].to.id must be an object id")
        types = item.get("types")
        if not isinstance(types, list) or not types:
            raise _bad(f"associations[{i}].types must be a non-empty list")
        for spec in types:
            category = spec.get("associationCategory") if isinstance(spec, dict) else None
            type_id = spec.get("associationTypeId") if isinstance(spec, dict) else None
            if category not in ("HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED"):
                raise _bad(f"associations[{i}]: associationCategory must be HUBSPOT_DEFINED, "
                           "USER_DEFINED or INTEGRATOR_DEFINED")
            if not isinstance(type_id, int) or isinstance(type_id, bool):
                raise _bad(f"associations[{i}]: associationTypeId must be an integer")
            out.append(AssociationInput(int(to_id), category, type_id))
    return out


def _resolve(from_type: str, item: AssociationInput) -> tuple[str, AssociationType]:
    known = HUBSPOT_DEFINED.get(item.type_id)
    if item.category != "HUBSPOT_DEFINED" or known is None or known[0] != from_type:
        raise _bad(
            f"association type {item.category} {item.type_id} is not valid from "
            f"{ct.NAME_BY_TYPE[from_type]}",
            "INVALID_ASSOCIATION_TYPE",
        )
    return known[1], AssociationType(item.type_id, known[2], item.category)


def check_lead(props: dict[str, str | None], items: list[AssociationInput]) -> None:
    """A new lead needs hs_lead_name and a contact association (578 or 608)."""
    if not props.get("hs_lead_name"):
        raise ValidationError(
            "A lead requires the property hs_lead_name",
            errors=[{"message": "hs_lead_name is required", "code": "REQUIRED_PROPERTY",
                     "context": {"propertyName": ["hs_lead_name"]}}],
        )
    if not any(i.type_id in (ct.LEAD_TO_PRIMARY_CONTACT, ct.LEAD_TO_CONTACT) for i in items):
        raise _bad(
            "A lead must be associated with an existing contact: include an association "
            "of type HUBSPOT_DEFINED 578 (lead to primary contact)",
            "MISSING_PRIMARY_ASSOCIATION",
        )


def attach(
    conn: Connection,
    portal_id: int,
    from_type: str,
    from_id: int,
    items: list[AssociationInput],
    at: int,
) -> None:
    """Store the associations of a new object; every target must exist in this portal."""
    resolved = [(item, *_resolve(from_type, item)) for item in items]
    for item, to_type, _ in resolved:
        if obj_store.get(conn, portal_id, to_type, item.to_id) is None:
            raise _bad(
                f"{ct.NAME_BY_TYPE[to_type][:-1] if to_type != ct.COMPANIES else 'company'} "
                f"{item.to_id} does not exist",
                "ASSOCIATION_TARGET_NOT_FOUND",
            )
    if from_type == ct.LEADS and not any(
        i.type_id == ct.LEAD_TO_PRIMARY_CONTACT for i, _, _ in resolved
    ):
        first = next(i for i, _, _ in resolved if i.type_id == ct.LEAD_TO_CONTACT)
        primary = AssociationInput(first.to_id, "HUBSPOT_DEFINED", ct.LEAD_TO_PRIMARY_CONTACT)
        resolved.append((primary, *_resolve(from_type, primary)))
    for item, to_type, kind in resolved:
        assoc_store.add(conn, portal_id, from_type, from_id, to_type, item.to_id, kind, at)

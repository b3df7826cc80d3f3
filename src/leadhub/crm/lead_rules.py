"""Associations given when an object is created, and the lead's creation rule.

The associations themselves are made by ``crm.associations`` (types, labels,
single primaries). HubSpot's leads guide: a new lead needs ``hs_lead_name``
and an association to an existing contact (``HUBSPOT_DEFINED`` 578, lead to primary contact; 608 is
lead to contact and 610 lead to company). If only a 608 contact is given, the
first such contact also becomes the primary one, so that the lead has the
primary contact the v1 view and the "last primary removed" rule rely on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.crm import associations
from leadhub.errors import NotFound, ValidationError
from leadhub.store.objects import ObjectRow
from leadhub.values import digits


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
        if not isinstance(to_id, str) or not digits(to_id.strip()):
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


def attach(conn: Connection, row: ObjectRow, raw: Any, items: list[AssociationInput],
           at: int) -> None:
    """Store the associations of a just-created object through the associations service.

    A new lead without a 578 association gets its first 608 contact as the
    primary one too. A target that does not exist is a bad request (400).
    """
    if raw is None:
        return
    inputs = list(raw)
    if row.object_type == ct.LEADS and not any(
        i.type_id == ct.LEAD_TO_PRIMARY_CONTACT for i in items
    ):
        first = next(i for i in items if i.type_id == ct.LEAD_TO_CONTACT)
        inputs.append({"to": {"id": str(first.to_id)}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED",
             "associationTypeId": ct.LEAD_TO_PRIMARY_CONTACT}]})
    try:
        associations.associate_new_object(conn, row, inputs, at)
    except NotFound as exc:
        raise ValidationError(
            f"cannot associate with an object that does not exist: {exc.message}",
            errors=[{"message": exc.message, "code": "ASSOCIATION_TARGET_NOT_FOUND"}],
        ) from None

"""Resolving the object type a v3 path names (``contacts``, ``0-1``, ...)."""

from __future__ import annotations

from leadhub import crm_types as ct
from leadhub.errors import ValidationError


def object_type(name: str) -> str:
    """The object type id for a path name or id; 400 for a type leadhub does not serve."""
    found = ct.TYPE_BY_NAME.get(name.strip().lower())
    if found is None:
        raise ValidationError(
            f"Unable to infer object type from: {name}",
            errors=[{"message": f"Unable to infer object type from: {name}",
                     "code": "INVALID_OBJECT_TYPE", "context": {"objectType": [name]}}],
        )
    return found


def singular(type_id: str) -> str:
    """The singular name HubSpot uses in messages ("contact", "lead", "company")."""
    return {ct.LEADS: "lead", ct.CONTACTS: "contact", ct.COMPANIES: "company"}[type_id]

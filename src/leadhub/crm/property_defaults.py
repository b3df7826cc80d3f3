"""HubSpot's default properties and groups per object type, defined in code.

Contacts, companies and leads get the common properties HubSpot defines for
them (names, types and options as HubSpot's property API returns them), plus
one definition for every property that ``leads/fields.py`` maps a v1 lead
field to, so that everything the v1 face writes is a declared v3 property.
Properties HubSpot has no name for are ``leadhub_*`` in the "leadhub v1" group.
Computed properties (``hs_object_id`` and the create/modify dates) are read-only
and come from the object row, never from its stored values.
"""

from __future__ import annotations

from typing import Any

from leadhub import crm_types as ct
from leadhub.leads import fields as F

V1_GROUP = "leadhub_v1"

DEFAULT_GROUPS: dict[str, list[tuple[str, str]]] = {
    ct.CONTACTS: [
        ("contactinformation", "Contact information"),
        ("analyticsinformation", "Web analytics history"),
        (V1_GROUP, "leadhub v1"),
    ],
    ct.COMPANIES: [("companyinformation", "Company information")],
    ct.LEADS: [("leadinformation", "Lead information"), (V1_GROUP, "leadhub v1")],
}


def option(value: str, label: str, order: int) -> dict[str, Any]:
    """One enumeration option in HubSpot's shape."""
    return {"label": label, "value": value, "displayOrder": order, "hidden": False}


def _options(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [option(v, label, i) for i, (v, label) in enumerate(pairs)]


BOOL_OPTIONS = _options([("true", "Yes"), ("false", "No")])

TYPE_FIELD = {
    "string": "text",
    "number": "number",
    "date": "date",
    "datetime": "date",
    "bool": "booleancheckbox",
    "enumeration": "select",
}


def prop(
    name: str,
    label: str,
    group: str,
    type_: str = "string",
    *,
    field_type: str | None = None,
    options: list[dict[str, Any]] | None = None,
    unique: bool = False,
    read_only: bool = False,
    hidden: bool = False,
    calculated: bool = False,
    description: str = "",
    order: int = -1,
) -> dict[str, Any]:
    """A HubSpot-defined property definition in the property API's JSON shape."""
    if options is None:
        options = BOOL_OPTIONS if type_ == "bool" else []
    return {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type or TYPE_FIELD[type_],
        "description": description,
        "groupName": group,
        "options": options,
        "displayOrder": order,
        "calculated": calculated,
        "externalOptions": False,
        "hasUniqueValue": unique,
        "hidden": hidden,
        "hubspotDefined": True,
        "formField": not read_only and not hidden,
        "archived": False,
        "modificationMetadata": {
            "archivable": False,
            "readOnlyDefinition": True,
            "readOnlyValue": read_only,
        },
    }


LIFECYCLE = _options(
    [
        ("subscriber", "Subscriber"),
        ("lead", "Lead"),
        ("marketingqualifiedlead", "Marketing Qualified Lead"),
        ("salesqualifiedlead", "Sales Qualified Lead"),
        ("opportunity", "Opportunity"),
        ("customer", "Customer"),
        ("evangelist", "Evangelist"),
        ("other", "Other"),
    ]
)
SOURCE_OPTIONS = _options([(enum, label) for label, enum in F.SOURCES.values()])

# Values computed from the object row, per type: property -> row attribute.
COMPUTED: dict[str, dict[str, str]] = {
    ct.CONTACTS: {
        "hs_object_id": "id",
        "createdate": "created_at",
        "lastmodifieddate": "updated_at",
        "hs_createdate": "created_at",
        "hs_lastmodifieddate": "updated_at",
    },
    ct.COMPANIES: {
        "hs_object_id": "id",
        "createdate": "created_at",
        "hs_createdate": "created_at",
        "hs_lastmodifieddate": "updated_at",
    },
    ct.LEADS: {
        "hs_object_id": "id",
        "hs_createdate": "created_at",
        "hs_lastmodifieddate": "updated_at",
    },
}

_COMPUTED_LABELS = {
    "hs_object_id": ("Record ID", "number"),
    "createdate": ("Create Date", "datetime"),
    "lastmodifieddate": ("Last Modified Date", "datetime"),
    "hs_createdate": ("Create date", "datetime"),
    "hs_lastmodifieddate": ("Last modified date", "datetime"),
}

# Properties returned when a request names none (HubSpot's default set).
DEFAULT_RETURNED: dict[str, tuple[str, ...]] = {
    ct.CONTACTS: ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                  "lastname"),
    ct.COMPANIES: ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    ct.LEADS: ("hs_createdate", "hs_lastmodifieddate", "hs_lead_label", "hs_lead_name",
               "hs_lead_type", "hs_object_id", "hs_pipeline", "hs_pipeline_stage"),
}

# Properties the free-text ``query`` of a search looks in.
SEARCHABLE: dict[str, tuple[str, ...]] = {
    ct.CONTACTS: ("firstname", "lastname", "email", "phone", "company", "website"),
    ct.COMPANIES: ("name", "domain", "website", "phone"),
    ct.LEADS: ("hs_lead_name",),
}

LEAD_PIPELINE = "lead-pipeline-id"
LEAD_FIRST_STAGE = "new-stage-id"


def _common(object_type: str) -> list[dict[str, Any]]:
    if object_type == ct.CONTACTS:
        g = "contactinformation"
        return [
            prop("email", "Email", g, unique=True),
            prop("lifecyclestage", "Lifecycle Stage", g, "enumeration", options=LIFECYCLE),
            prop("mobilephone", "Mobile Phone Number", g),
        ]
    if object_type == ct.COMPANIES:
        g = "companyinformation"
        return [
            prop("name", "Company name", g),
            prop("domain", "Company Domain Name", g, unique=True),
            prop("website", "Website URL", g),
            prop("phone", "Phone Number", g),
            prop("address", "Street Address", g),
            prop("city", "City", g),
            prop("state", "State/Region", g),
            prop("zip", "Postal Code", g),
            prop("country", "Country/Region", g),
            prop("industry", "Industry", g),
            prop("description", "Description", g, field_type="textarea"),
            prop("numberofemployees", "Number of Employees", g, "number"),
            prop("annualrevenue", "Annual Revenue", g, "number"),
            prop("lifecyclestage", "Lifecycle Stage", g, "enumeration", options=LIFECYCLE),
        ]
    g = "leadinformation"
    return [
        prop("hs_lead_name", "Lead name", g, description="The full name of the lead."),
        prop(
            "hs_lead_type", "Lead type", g, "enumeration",
            options=_options(
                [("NEW_BUSINESS", "New Business"), ("UPSELL", "Upsell"),
                 ("RE_ATTEMPTING", "Re-attempting")]
            ),
            description="A dropdown list of lead types.",
        ),
        prop(
            "hs_lead_label", "Lead label", g, "enumeration",
            options=_options([("HOT", "Hot"), ("WARM", "Warm"), ("COLD", "Cold")]),
            description="The current status of the lead.",
        ),
        prop("hs_pipeline", "Pipeline", g, "enumeration",
             options=_options([(LEAD_PIPELINE, "Lead pipeline")])),
        prop(
            "hs_pipeline_stage", "Lead stage", g, "enumeration",
            options=_options(
                [(LEAD_FIRST_STAGE, "New"), ("attempting-stage-id", "Attempting"),
                 ("connected-stage-id", "Connected"), ("qualified-stage-id", "Qualified"),
                 ("unqualified-stage-id", "Disqualified")]
            ),
        ),
    ]


# v1 field kinds as (type, fieldType).
_KIND_TYPES = {
    "str": ("string", "text"),
    "bool": ("bool", "booleancheckbox"),
    "int": ("number", "number"),
    "float": ("number", "number"),
    "ms": ("datetime", "date"),
    "source": ("enumeration", "select"),
}
# HubSpot keeps these editable although the v1 API shows them read-only.
_EDITABLE_IN_V3 = frozenset({"annualrevenue", "numemployees"})


def _v1_props(object_type: str) -> list[dict[str, Any]]:
    if object_type not in (ct.LEADS, ct.CONTACTS):
        return []
    owner = "lead" if object_type == ct.LEADS else "contact"
    group_of_hubspot = "leadinformation" if owner == "lead" else "contactinformation"
    out = []
    for field in (*F.FIELDS, *F.ANALYTICS_FIELDS, *F.CRM_FIELDS):
        if field.owner != owner:
            continue
        type_, field_type = _KIND_TYPES[field.kind]
        if field.prop == "message":
            field_type = "textarea"
        if field.prop.startswith("leadhub_"):
            group = V1_GROUP
        elif field.prop.startswith("hs_analytics_"):
            group = "analyticsinformation"
        else:
            group = group_of_hubspot
        out.append(
            prop(
                field.prop,
                _label(field.name),
                group,
                type_,
                field_type=field_type,
                options=SOURCE_OPTIONS if field.kind == "source" else None,
                read_only=not field.editable and field.prop not in _EDITABLE_IN_V3,
                description=f"The v1 lead field {field.name}.",
            )
        )
    if owner == "lead":
        out += [
            prop(F.GUID_PROP, "v1 lead guid", V1_GROUP, unique=True, read_only=True,
                 description="The v1 lead guid."),
            prop(F.FIRST_CONVERTED_PROP, "First converted at", V1_GROUP, "datetime",
                 read_only=True, description="When the lead first converted."),
            prop("leadhub_public_token", "Public link token", V1_GROUP, read_only=True,
                 hidden=True, description="The token of the v1 public lead link."),
        ]
    return out


def _label(camel: str) -> str:
    words = "".join(" " + c.lower() if c.isupper() else c for c in camel).strip()
    return words[:1].upper() + words[1:]


def _computed(object_type: str) -> list[dict[str, Any]]:
    group = DEFAULT_GROUPS[object_type][0][0]
    return [
        prop(name, _COMPUTED_LABELS[name][0], group, _COMPUTED_LABELS[name][1],
             read_only=True, calculated=False)
        for name in COMPUTED[object_type]
    ]


def _build(object_type: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for definition in (*_common(object_type), *_v1_props(object_type), *_computed(object_type)):
        out.setdefault(definition["name"], definition)
    return out


DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {t: _build(t) for t in DEFAULT_GROUPS}

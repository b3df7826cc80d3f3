"""Writes docs/field-mapping.md from leads/fields.py: ``python -m leadhub.leads.fieldmap``.

A test compares the file with this output, so the document cannot drift
from the code.
"""

from __future__ import annotations

import sys

from leadhub import crm_types as ct
from leadhub.leads import fields as F
from leadhub.leads.service import PUBLIC_TOKEN_PROP

KIND_TEXT = {
    "str": "string",
    "bool": "`true`/`false`",
    "int": "whole number",
    "float": "number",
    "ms": "datetime (ISO 8601 UTC; v1 shows ms)",
    "source": "enumeration (v1 shows the source id)",
}

HEADER = """\
# v1 lead fields and the CRM properties that hold them

Generated from `src/leadhub/leads/fields.py` by
`python -m leadhub.leads.fieldmap > docs/field-mapping.md`; a test fails when
this file and the code disagree.

A v1 lead is a view over one CRM **lead** object (`{leads}`) and its primary
**contact** (`{contacts}`, association type {primary}). Every stored v1 field is
one property of one of the two, so a change made through the v1 API shows in
the CRM v3 API and the reverse; property history records each change with its
source (`API`, `FORM`, `IMPORT`, ...). Properties named `hs_*` or without a
prefix are HubSpot's own; `leadhub_*` ones have no HubSpot counterpart.
"""

DERIVED = """\
## Fields computed, not stored as properties

| v1 field | where it comes from |
|---|---|
| `guid`, `id` | lead property `{guid}` (unique per portal) |
| `leadId` | the lead object's id (the v3 `id`) |
| `portalId` | the portal that owns the lead |
| `insertedAt` | the lead object's `createdAt` |
| `lastModifiedAt` | the lead object's `updatedAt` (every v1 change moves it) |
| `isDeleted` | the lead object is archived (soft delete) |
| `isCustomer` | `closedAt` is set |
| `foundVia` | the name of `sourceId` (1 Organic Search ... 7 Other Campaigns) |
| `fullFoundViaString` | `foundVia`, `sourceValue1` and `sourceValue2` joined by ` - ` |
| `leadJsonLink`, `leadLink`, `publicLeadLink` | the public base URL, guid, lead prop `{token}` |
| `analyticsDetails.id`, `.leadGuid`, `crmDetails.id` | the guid |
| `analyticsDetails.leadId`, `.portalId`, `.userToken` | as the top-level fields |
| `leadConversionEvents` | table `conversion_events` (one row per form submission) |
| `leadCustomerStatusModifyLogs`, `leadDeleteLogs` | table `lead_logs` (`customer`, `delete`) |

Lead properties kept for v1 queries without a v1 field of their own:
`{first}` (first conversion date: `fce.convertDate`, `timePivot=firstConvertedAt`)
and `{name}` (the lead's name, from its contact's name, else email).
"""


def _table(title: str, fields: tuple[F.Field, ...], prefix: str = "") -> list[str]:
    lines = [
        f"## {title}",
        "",
        "| v1 field | object | property | type | editable through v1 PUT |",
        "|---|---|---|---|---|",
    ]
    for f in fields:
        editable = "yes" if f.editable else "no"
        lines.append(
            f"| `{prefix}{f.name}` | {f.owner} | `{f.prop}` | {KIND_TEXT[f.kind]} | {editable} |"
        )
    return [*lines, ""]


def render() -> str:
    """The whole of docs/field-mapping.md."""
    parts = [
        HEADER.format(
            leads=ct.LEADS, contacts=ct.CONTACTS, primary=ct.LEAD_TO_PRIMARY_CONTACT
        ),
        *_table("Top-level fields", F.FIELDS),
        *_table("`analyticsDetails`", F.ANALYTICS_FIELDS, "analyticsDetails."),
        *_table("`crmDetails`", F.CRM_FIELDS, "crmDetails."),
        DERIVED.format(
            guid=F.GUID_PROP,
            token=PUBLIC_TOKEN_PROP,
            first=F.FIRST_CONVERTED_PROP,
            name=F.LEAD_NAME_PROP,
        ),
    ]
    aliases = ", ".join(f"`{a}` for `{n}`" for a, n in F.ALIASES.items())
    parts.append(f"Other spellings accepted in a PUT body: {aliases}.\n")
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render())

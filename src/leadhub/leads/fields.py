"""The v1 lead's fields and the CRM properties that hold them.

A v1 lead is a view over a lead object (``0-136``) and its primary contact
(``0-1``). Each scalar v1 field maps to exactly one named property of one of
the two, so a change through v1 shows in v3 and the reverse. Fields that
HubSpot's CRM has a property for use HubSpot's name; the rest use a
``leadhub_`` name. The full table is written down in docs/field-mapping.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["str", "bool", "int", "float", "ms", "source"]
Owner = Literal["lead", "contact"]


@dataclass(frozen=True)
class Field:
    """One v1 field stored as a CRM property."""

    name: str
    owner: Owner
    prop: str
    kind: Kind
    editable: bool


def _c(name: str, prop: str, kind: Kind = "str", editable: bool = True) -> Field:
    return Field(name, "contact", prop, kind, editable)


def _l(name: str, prop: str, kind: Kind = "str", editable: bool = True) -> Field:
    return Field(name, "lead", prop, kind, editable)


# Top-level v1 fields stored as properties.
FIELDS: tuple[Field, ...] = (
    _c("firstName", "firstname"),
    _c("lastName", "lastname"),
    _c("email", "email"),
    _c("phone", "phone"),
    _c("fax", "fax"),
    _c("address", "address"),
    _c("city", "city"),
    _c("state", "state"),
    _c("zip", "zip"),
    _c("country", "country"),
    _c("company", "company"),
    _c("jobTitle", "jobtitle"),
    _c("website", "website"),
    _c("twitterHandle", "twitterhandle"),
    _c("industry", "industry"),
    _c("salutation", "salutation"),
    _c("message", "message"),
    _c("ipAddress", "leadhub_ip_address"),
    _c("userToken", "leadhub_user_token"),
    _c("emailOptOut", "hs_email_optout", "bool"),
    _c("emailBounced", "leadhub_email_bounced", "bool"),
    _c("eligibleForEmail", "leadhub_eligible_for_email", "bool"),
    _c("firstURL", "hs_analytics_first_url"),
    _c("firstReferrer", "hs_analytics_first_referrer"),
    _c("firstRefDomain", "leadhub_first_ref_domain"),
    _c("firstCampaign", "leadhub_first_campaign"),
    _c("firstVisitSetAt", "leadhub_first_visit_set_at", "ms"),
    _c("sourceId", "hs_analytics_source", "source"),
    _c("sourceValue1", "hs_analytics_source_data_1"),
    _c("sourceValue2", "hs_analytics_source_data_2"),
    _c("sourceValueModifiedAt", "leadhub_source_modified_at", "ms", editable=False),
    _l("closedAt", "leadhub_closed_at", "ms"),
    _l("customerStatusModifiedAt", "leadhub_customer_status_modified_at", "ms", editable=False),
    _l("imported", "leadhub_imported", "bool"),
    _l("leadNurturingActive", "leadhub_nurturing_active", "bool", editable=False),
    _l("leadNurturingCampaignId", "leadhub_nurturing_campaign_id", "int"),
    _l("rawScore", "leadhub_raw_score", "int"),
    _l("score", "leadhub_score", "float"),
    _l("lastConvertedAt", "leadhub_last_converted_at", "ms", editable=False),
    _l("numConversionEvents", "leadhub_num_conversion_events", "int", editable=False),
)

# v1 fields inside ``analyticsDetails`` (none editable).
ANALYTICS_FIELDS: tuple[Field, ...] = (
    _c("allViewsImported", "leadhub_analytics_all_views_imported", "bool", False),
    _c("countsModifiedAt", "leadhub_analytics_counts_modified_at", "ms", False),
    _c("firstVisitAt", "hs_analytics_first_visit_timestamp", "ms", False),
    _c("lastPageViewAt", "hs_analytics_last_timestamp", "ms", False),
    _c("lastVisitAt", "hs_analytics_last_visit_timestamp", "ms", False),
    _c("pageViewCount", "hs_analytics_num_page_views", "int", False),
    _c("visitCount", "hs_analytics_num_visits", "int", False),
)

# v1 fields inside ``crmDetails`` (none editable).
CRM_FIELDS: tuple[Field, ...] = (
    _c("annualRevenue", "annualrevenue", "float", False),
    _l("closeProbability", "leadhub_close_probability", "float", False),
    _l("crmType", "leadhub_crm_type", "int", False),
    _l("estimatedRevenue", "leadhub_estimated_revenue", "float", False),
    _l("nextAction", "leadhub_next_action", "str", False),
    _l("nextActionAssignedTo", "leadhub_next_action_assigned_to", "int", False),
    _l("nextActionAssignedToEmail", "leadhub_next_action_assigned_to_email", "str", False),
    _l("nextActionDue", "leadhub_next_action_due", "ms", False),
    _c("numEmployees", "numemployees", "int", False),
    _l("status", "leadhub_crm_status", "str", False),
)

# Lead properties that are not v1 fields of their own but are kept for v1 queries.
GUID_PROP = "leadhub_guid"
FIRST_CONVERTED_PROP = "leadhub_first_converted_at"
LEAD_NAME_PROP = "hs_lead_name"

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# Every stored v1 value by name, nested ones included (for creating leads).
ALL_STORED: dict[str, Field] = {
    f.name: f for f in (*FIELDS, *ANALYTICS_FIELDS, *CRM_FIELDS)
}

# Lead-level timestamps that are not top-level v1 fields.
CLOSED_AT = BY_NAME["closedAt"]
MS_FIELD = CLOSED_AT

# Other spellings real clients and the documents use for the same field.
ALIASES: dict[str, str] = {"firstUrl": "firstURL", "optOut": "emailOptOut"}

# Fields computed from others or from the record itself; never written directly.
DERIVED_FIELDS = frozenset(
    {
        "guid",
        "id",
        "leadId",
        "portalId",
        "isCustomer",
        "insertedAt",
        "lastModifiedAt",
        "foundVia",
        "fullFoundViaString",
        "leadJsonLink",
        "leadLink",
        "publicLeadLink",
        "analyticsDetails",
        "crmDetails",
        "leadConversionEvents",
        "leadCustomerStatusModifyLogs",
        "leadDeleteLogs",
    }
)

# Source ids of the v1 API and the values of HubSpot's hs_analytics_source.
SOURCES: dict[int, tuple[str, str]] = {
    1: ("Organic Search", "ORGANIC_SEARCH"),
    2: ("Referrals", "REFERRALS"),
    3: ("Paid Search", "PAID_SEARCH"),
    4: ("Direct Traffic", "DIRECT_TRAFFIC"),
    5: ("Email Marketing", "EMAIL_MARKETING"),
    6: ("Social Media", "SOCIAL_MEDIA"),
    7: ("Other Campaigns", "OTHER_CAMPAIGNS"),
}
SOURCE_ID_BY_ENUM: dict[str, int] = {enum: sid for sid, (_, enum) in SOURCES.items()}


def found_via(source_id: int) -> str:
    """The source name v1 shows in ``foundVia`` ("" for no source)."""
    return SOURCES[source_id][0] if source_id in SOURCES else ""


def full_found_via(source_id: int, value1: str, value2: str) -> str:
    """``foundVia`` followed by the non-empty source values, joined by " - "."""
    parts = [p for p in (found_via(source_id), value1, value2) if p]
    return " - ".join(parts)

"""HubSpot object type ids and the names clients use for them."""

from __future__ import annotations

LEADS = "0-136"
CONTACTS = "0-1"
COMPANIES = "0-2"

# Path names and object type ids both address a type (e.g. "leads" or "0-136").
TYPE_BY_NAME: dict[str, str] = {
    "leads": LEADS,
    "lead": LEADS,
    LEADS: LEADS,
    "contacts": CONTACTS,
    "contact": CONTACTS,
    CONTACTS: CONTACTS,
    "companies": COMPANIES,
    "company": COMPANIES,
    COMPANIES: COMPANIES,
}

NAME_BY_TYPE: dict[str, str] = {LEADS: "leads", CONTACTS: "contacts", COMPANIES: "companies"}

# HUBSPOT_DEFINED association type ids used by the lead rules (HubSpot's
# "Associations v4 -> default association type ids" table).
LEAD_TO_PRIMARY_CONTACT = 578
PRIMARY_CONTACT_TO_LEAD = 579
LEAD_TO_CONTACT = 608
CONTACT_TO_LEAD = 607
LEAD_TO_COMPANY = 610
COMPANY_TO_LEAD = 609

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
CONTACT_TO_PRIMARY_COMPANY = 1
COMPANY_TO_PRIMARY_CONTACT = 2
CONTACT_TO_COMPANY = 279
COMPANY_TO_CONTACT = 280

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
USER_DEFINED = "USER_DEFINED"
CATEGORIES = ("HUBSPOT_DEFINED", "INTEGRATOR_DEFINED", "USER_DEFINED", "WORK")


class DefinedType:
    """One direction of a HUBSPOT_DEFINED association type between two object types."""

    __slots__ = ("type_id", "from_type", "to_type", "reverse_id", "name", "label", "primary")

    def __init__(
        self,
        type_id: int,
        from_type: str,
        to_type: str,
        reverse_id: int,
        name: str,
        label: str | None,
        primary: bool,
    ) -> None:
        self.type_id = type_id
        self.from_type = from_type
        self.to_type = to_type
        self.reverse_id = reverse_id
        self.name = name  # the v3 name, e.g. "lead_to_primary_contact"
        self.label = label  # None for the unlabeled type
        self.primary = primary

    @property
    def unlabeled(self) -> bool:
        """The type every associated pair has (HubSpot's "unlabeled" association)."""
        return self.label is None


# HubSpot's default type ids among leads, contacts and companies, both
# directions ("Associations v4 -> association type id values"). Each pair of
# object types has one unlabeled type; "primary" types are labelled.
DEFINED_TYPES: tuple[DefinedType, ...] = (
    DefinedType(LEAD_TO_PRIMARY_CONTACT, LEADS, CONTACTS, PRIMARY_CONTACT_TO_LEAD,
                "lead_to_primary_contact", "Primary", True),
    DefinedType(PRIMARY_CONTACT_TO_LEAD, CONTACTS, LEADS, LEAD_TO_PRIMARY_CONTACT,
                "primary_contact_to_lead", "Primary", True),
    DefinedType(LEAD_TO_CONTACT, LEADS, CONTACTS, CONTACT_TO_LEAD,
                "lead_to_contact", None, False),
    DefinedType(CONTACT_TO_LEAD, CONTACTS, LEADS, LEAD_TO_CONTACT,
                "contact_to_lead", None, False),
    DefinedType(LEAD_TO_COMPANY, LEADS, COMPANIES, COMPANY_TO_LEAD,
                "lead_to_company", None, False),
    DefinedType(COMPANY_TO_LEAD, COMPANIES, LEADS, LEAD_TO_COMPANY,
                "company_to_lead", None, False),
    DefinedType(CONTACT_TO_PRIMARY_COMPANY, CONTACTS, COMPANIES, COMPANY_TO_PRIMARY_CONTACT,
                "contact_to_company", "Primary", True),
    DefinedType(COMPANY_TO_PRIMARY_CONTACT, COMPANIES, CONTACTS, CONTACT_TO_PRIMARY_COMPANY,
                "company_to_contact", "Primary", True),
    DefinedType(CONTACT_TO_COMPANY, CONTACTS, COMPANIES, COMPANY_TO_CONTACT,
                "contact_to_company_unlabeled", None, False),
    DefinedType(COMPANY_TO_CONTACT, COMPANIES, CONTACTS, CONTACT_TO_COMPANY,
                "company_to_contact_unlabeled", None, False),
)

DEFINED_BY_ID: dict[int, DefinedType] = {t.type_id: t for t in DEFINED_TYPES}


def defined_between(from_type: str, to_type: str) -> list[DefinedType]:
    """The HUBSPOT_DEFINED types from one object type to another, in type id order."""
    found = [t for t in DEFINED_TYPES if t.from_type == from_type and t.to_type == to_type]
    return sorted(found, key=lambda t: t.type_id)


def unlabeled_between(from_type: str, to_type: str) -> DefinedType | None:
    """The unlabeled type from one object type to another, if the pair can associate."""
    return next((t for t in defined_between(from_type, to_type) if t.unlabeled), None)

"""The v1 lead rules: lookups, lists, updates, and creating a lead with its contact."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.errors import NotFound
from leadhub.leads import fields as F
from leadhub.leads.convert import from_v1
from leadhub.store import associations as assoc_store
from leadhub.store import events as event_store
from leadhub.store import objects as obj_store
from leadhub.store import uniquevalues as unique_store
from leadhub.store.associations import AssociationType
from leadhub.store.events import ConversionEvent, LeadLog
from leadhub.store.leadlist import LeadListQuery, list_lead_ids
from leadhub.store.objects import Change, ObjectRow
from leadhub.util import new_guid

PUBLIC_TOKEN_PROP = "leadhub_public_token"
PRIMARY_CONTACT = AssociationType(ct.LEAD_TO_PRIMARY_CONTACT, ct.PRIMARY_CONTACT_TO_LEAD)
EMAIL_PROP = "email"


@dataclass
class LeadView:
    """Everything a v1 lead is made of."""

    lead: ObjectRow
    contact: ObjectRow | None
    events: list[ConversionEvent] | None
    logs: list[LeadLog]

    @property
    def guid(self) -> str:
        return self.lead.props.get(F.GUID_PROP, "")


def new_public_token() -> str:
    """An unguessable token for a lead's public link (16 random bytes, base64)."""
    return base64.b64encode(secrets.token_bytes(16)).decode()


def normalize_email(email: str) -> str:
    """Emails are one person regardless of case and surrounding spaces."""
    return email.strip().lower()


# ---------------------------------------------------------------- loading


def load(
    conn: Connection, portal_id: int, lead_ids: list[int], *, with_events: bool = True
) -> list[LeadView]:
    """The leads with these ids, in the given order, with their contacts."""
    rows = obj_store.get_many(conn, portal_id, lead_ids)
    links = assoc_store.targets(conn, portal_id, lead_ids, type_id=ct.LEAD_TO_PRIMARY_CONTACT)
    contact_of: dict[int, int] = {}
    for link in links:
        contact_of.setdefault(link.from_id, link.to_id)
    contacts = obj_store.get_many(conn, portal_id, contact_of.values())
    events = event_store.events_for_leads(conn, portal_id, lead_ids) if with_events else None
    logs = event_store.logs_for_leads(conn, portal_id, lead_ids)
    views = []
    for lead_id in lead_ids:
        row = rows.get(lead_id)
        if row is None or row.object_type != ct.LEADS:
            continue
        contact_id = contact_of.get(lead_id)
        views.append(
            LeadView(
                lead=row,
                contact=contacts.get(contact_id) if contact_id is not None else None,
                events=events.get(lead_id, []) if events is not None else None,
                logs=logs.get(lead_id, []),
            )
        )
    return views


class Loader(Protocol):
    """What reads leads' views by id: ``load``, or another way to the same views
    (leads/documents.py ``load``)."""

    def __call__(
        self, conn: Connection, portal_id: int, lead_ids: list[int], *, with_events: bool = True
    ) -> list[LeadView]: ...


def lead_id_for_guid(conn: Connection, portal_id: int, guid: str) -> int | None:
    """The lead object id behind a v1 guid."""
    return unique_store.find_unique(conn, portal_id, ct.LEADS, F.GUID_PROP, guid.strip().lower())


def no_lead(guid: str) -> NotFound:
    """The error of a lookup by guid that finds no lead."""
    return NotFound(f"lead {guid} does not exist")


def no_match(**criteria: str | None) -> NotFound:
    """The error of a lookup by email, conversion event guid or user token that finds no
    lead, naming the criteria given."""
    given = ", ".join(f"{k}={v}" for k, v in criteria.items() if v)
    return NotFound(f"no lead matches {given}")


def get(conn: Connection, portal_id: int, guid: str) -> LeadView:
    """One lead by guid, deleted or not; NotFound otherwise."""
    lead_id = lead_id_for_guid(conn, portal_id, guid)
    views = load(conn, portal_id, [lead_id]) if lead_id is not None else []
    if not views:
        raise no_lead(guid)
    return views[0]


def _first_converted(conn: Connection, portal_id: int, lead_ids: list[int]) -> int | None:
    """Of several leads, the one that converted first (never-converted last).

    Live leads win over deleted ones; a deleted lead is found only when it is
    the only match, as a lookup by guid finds deleted leads too.
    """
    rows = list(obj_store.get_many(conn, portal_id, lead_ids).values())
    rows = [r for r in rows if r.object_type == ct.LEADS]
    if not rows:
        return None

    def key(row: ObjectRow) -> tuple[bool, int, str, int]:
        first = row.props.get(F.FIRST_CONVERTED_PROP)
        return (row.archived, 0 if first else 1, first or "", row.id)

    return min(rows, key=key).id


def lead_of_contact(conn: Connection, portal_id: int, contact_id: int) -> int | None:
    """The live lead whose primary contact this is (the first converted, if several)."""
    return _first_converted(conn, portal_id, leads_of_contacts(conn, portal_id, [contact_id]))


def leads_of_contacts(conn: Connection, portal_id: int, contact_ids: list[int]) -> list[int]:
    """Leads whose primary contact is one of these contacts."""
    links = assoc_store.targets(conn, portal_id, contact_ids, type_id=ct.PRIMARY_CONTACT_TO_LEAD)
    return [link.to_id for link in links]


def find_lead_id(
    conn: Connection,
    portal_id: int,
    *,
    email: str | None = None,
    conversion_event_guid: str | None = None,
    user_token: str | None = None,
) -> int | None:
    """A lead by email, conversion event guid or user token (first that is given)."""
    if conversion_event_guid:
        return event_store.lead_for_event(conn, portal_id, conversion_event_guid.strip().lower())
    if email:
        contact = unique_store.find_unique(
            conn, portal_id, ct.CONTACTS, EMAIL_PROP, normalize_email(email)
        )
        if contact is None:
            return None
        return _first_converted(conn, portal_id, leads_of_contacts(conn, portal_id, [contact]))
    if user_token:
        contacts = obj_store.ids_with_value(
            conn, portal_id, ct.CONTACTS, "leadhub_user_token", user_token.strip()
        )
        return _first_converted(conn, portal_id, leads_of_contacts(conn, portal_id, contacts))
    return None


def find(
    conn: Connection, portal_id: int, *, loader: Loader = load, **criteria: str | None
) -> LeadView:
    """One lead by email, conversion event guid or user token, read by ``loader``;
    NotFound otherwise."""
    lead_id = find_lead_id(conn, portal_id, **criteria)
    views = loader(conn, portal_id, [lead_id]) if lead_id is not None else []
    if not views:
        raise no_match(**criteria)
    return views[0]


def list_leads(
    conn: Connection, query: LeadListQuery, *, with_events: bool, guids: list[str] | None = None,
    loader: Loader = load,
) -> list[LeadView]:
    """One page of leads for a list query, restricted to ``guids`` when given, read by
    ``loader``."""
    if guids:
        query.lead_ids = guids_to_ids(conn, query.portal_id, guids)
    ids = list_lead_ids(conn, query)
    return loader(conn, query.portal_id, ids, with_events=with_events)


def guids_to_ids(conn: Connection, portal_id: int, guids: list[str]) -> list[int]:
    """Lead ids for the guids that exist in this portal."""
    ids = (lead_id_for_guid(conn, portal_id, g) for g in guids)
    return [i for i in ids if i is not None]


# ---------------------------------------------------------------- creating


def create(
    conn: Connection,
    portal_id: int,
    values: Mapping[str, Any],
    change: Change,
    *,
    guid: str | None = None,
    extra_lead_props: Mapping[str, str] | None = None,
    lead_id: int | None = None,
    contact: ObjectRow | None = None,
) -> LeadView:
    """Create a lead and its primary contact (or reuse the contact with that email).

    ``values`` are v1 field values (``firstName``, ``email``, ...). A given
    ``contact`` (locked by the caller, its properties already written)
    becomes the primary contact instead.
    """
    lead_props, contact_props = split_props(values)
    if contact is None:
        contact = contact_for(conn, portal_id, contact_props, change)
    guid = (guid or new_guid()).lower()
    lead_props.setdefault(F.LEAD_NAME_PROP, lead_name(contact.props))
    lead_props[F.GUID_PROP] = guid
    lead_props.update(extra_lead_props or {})
    lead_props.setdefault(PUBLIC_TOKEN_PROP, new_public_token())
    lead = obj_store.insert(conn, portal_id, ct.LEADS, lead_props, change, object_id=lead_id)
    unique_store.set_unique(conn, lead, F.GUID_PROP, guid)
    assoc_store.add(
        conn, portal_id, ct.LEADS, lead.id, ct.CONTACTS, contact.id, PRIMARY_CONTACT,
        change.timestamp,
    )
    return LeadView(lead=lead, contact=contact, events=[], logs=[])


def contact_for(
    conn: Connection, portal_id: int, contact_props: dict[str, str], change: Change
) -> ObjectRow:
    """The contact these properties describe, locked: the holder of the email, or a new one.

    Race-safe: of several transactions creating a contact for one email at
    once, the ``unique_values`` key lets one keep its new contact; the others
    discard theirs and update (under a row lock) the winner's. While the
    caller holds the returned row, no other transaction can decide anything
    about this person, e.g. whether it already has a lead.
    """
    email = contact_props.get(EMAIL_PROP)
    if email:
        key = normalize_email(email)
        holder = unique_store.find_unique(conn, portal_id, ct.CONTACTS, EMAIL_PROP, key)
        if holder is None:
            new = obj_store.insert(conn, portal_id, ct.CONTACTS, contact_props, change)
            holder = unique_store.claim_unique(
                conn, portal_id, ct.CONTACTS, EMAIL_PROP, key, new.id
            )
            if holder == new.id:
                return new
            obj_store.discard(conn, new)
        contact = obj_store.get(conn, portal_id, ct.CONTACTS, holder, for_update=True)
        if contact is not None:
            obj_store.update_props(conn, contact, contact_props, change)
            return contact
    return obj_store.insert(conn, portal_id, ct.CONTACTS, contact_props, change)


def add_conversion_event(
    conn: Connection, lead: ObjectRow, event: ConversionEvent, change: Change
) -> bool:
    """Record a conversion on a lead and keep its conversion summary up to date.

    Returns False (and changes nothing) if the event guid is already stored,
    so processing one submission twice has its effect once.
    """
    event.lead_id = lead.id
    if not event_store.add_event(conn, lead.portal_id, event):
        return False
    obj_store.lock(conn, lead)  # the summary below is a read-modify-write
    converted = to_stored_ms(event.convert_date)
    first = lead.props.get(F.FIRST_CONVERTED_PROP)
    last = lead.props.get("leadhub_last_converted_at")
    count = int(lead.props.get("leadhub_num_conversion_events", "0"))
    obj_store.update_props(
        conn,
        lead,
        {
            F.FIRST_CONVERTED_PROP: min(first, converted) if first else converted,
            "leadhub_last_converted_at": max(last, converted) if last else converted,
            "leadhub_num_conversion_events": str(count + 1),
        },
        change,
    )
    return True


def lead_name(contact_props: Mapping[str, str]) -> str:
    """A lead's display name from its contact: full name, else email."""
    name = " ".join(
        p for p in (contact_props.get("firstname"), contact_props.get("lastname")) if p
    )
    # A derived value must never fail the length check its parts passed.
    return (name or contact_props.get(EMAIL_PROP) or "Lead")[: obj_store.MAX_VALUE_CHARS]


def split_props(values: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Turn v1 field values into (lead properties, contact properties)."""
    lead: dict[str, str] = {}
    contact: dict[str, str] = {}
    for name, value in values.items():
        field = F.ALL_STORED[name]
        stored = from_v1(field, value)
        if stored is None:
            continue
        (lead if field.owner == "lead" else contact)[field.prop] = stored
    return lead, contact


def to_stored_ms(ms: int) -> str:
    """A millisecond timestamp in the stored datetime form."""
    return from_v1(F.MS_FIELD, ms) or ""


__all__ = [
    "LeadView",
    "create",
    "find",
    "get",
    "list_leads",
    "load",
    "add_conversion_event",
]

"""New people, many at once: the submissions of a batch from people the store has never seen.

Most form posts come from someone new: no contact has their email, none
holds their user token. For such a submission ``process`` would find no one,
create a contact and a lead, claim the email, the token and the lead guid,
associate the two, store the conversion event, count it on the lead and
queue the callback: about thirty statements, each built, compiled and run on
its own. Here the same rows are written for all the new people of a batch
with one multi-row statement per table (``store/bulk.py``, as the import
does), which is what makes the worker's drain rate a fraction of a plain
``executemany`` rather than of a few statements per second.

A submission is taken here only when the outcome cannot depend on anything
else in the batch or the store: it parses, carries an email (and the same
one as the contact's), has no close date, its email and user token appear
in no other submission of the batch and are held by no contact, its
conversion event is not stored yet, and every value passes the store's
checks. Everything else goes through ``process`` one by one, as before. The
rows written are the ones ``process`` writes, property history included; a
test processes the same submissions both ways and compares the stores.

It all happens in one savepoint: if anything fails (a concurrent worker on
PostgreSQL claiming one of the emails first, say), it is rolled back and the
whole batch takes the one-by-one path, where each submission meets its own
conflict handling and error.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.ingest.fields import SOURCE_TYPE, TOKEN_PROP, FormValues, conversion_event, interpret
from leadhub.leads import fields as F
from leadhub.leads import service as lead_service
from leadhub.leads.service import EMAIL_PROP, PUBLIC_TOKEN_PROP, normalize_email
from leadhub.store import bulk
from leadhub.store import callbackqueue as callback_store
from leadhub.store import events as event_store
from leadhub.store import forms as form_store
from leadhub.store import queue as queue_store
from leadhub.store.db import is_unavailable
from leadhub.store.objects import Change, check_values
from leadhub.store.queue import Submission
from leadhub.util import new_guid

log = logging.getLogger("leadhub.ingest")

_LAST_CONVERTED = "leadhub_last_converted_at"
_NUM_CONVERSIONS = "leadhub_num_conversion_events"
_CONVERSION_PROPS = (F.FIRST_CONVERTED_PROP, _LAST_CONVERTED, _NUM_CONVERSIONS)


@dataclass(frozen=True)
class NewPerson:
    """A submission from someone new, interpreted, with the rows it will write."""

    sub: Submission
    form: FormValues
    email: str  # normalized: the unique value claimed
    token: str | None
    contact: dict[str, str]
    lead: dict[str, str]


def _interpreted(sub: Submission) -> FormValues | None:
    try:
        return interpret(sub.fields)
    except Exception:  # noqa: BLE001 - it fails in ``process``, with its error recorded there
        return None


def _keys(form: FormValues | None) -> tuple[str | None, str | None]:
    """The email and user token by which ``process`` would look the person up."""
    if form is None:
        return None, None
    return (normalize_email(form.email) if form.email else None), (form.user_token or None)


def _candidate(sub: Submission, form: FormValues) -> NewPerson | None:
    """The submission as a new person, if nothing in it needs the one-by-one path."""
    try:
        lead, contact = lead_service.split_props(form.values)
        check_values(contact)
        check_values(lead)
    except Exception:  # noqa: BLE001 - as above
        return None
    email = contact.get(EMAIL_PROP)
    if form.closed_at is not None or not form.email or not email:
        return None
    key = normalize_email(email)
    if normalize_email(form.email) != key or any(p in lead for p in _CONVERSION_PROPS):
        return None
    return NewPerson(sub, form, key, form.user_token or None, contact, lead)


def select(conn: Connection, subs: Sequence[Submission]) -> list[NewPerson]:
    """The submissions of a batch (locked, ours) that are from people the store does not know."""
    forms = [_interpreted(sub) for sub in subs]
    keys = [_keys(form) for form in forms]
    emails = Counter(e for e, _ in keys if e)
    tokens = Counter(t for _, t in keys if t)
    alone = []
    for sub, form, (email, token) in zip(subs, forms, keys, strict=True):
        if form is not None and email and emails[email] == 1 and (not token or tokens[token] == 1):
            person = _candidate(sub, form)
            if person is not None:
                alone.append(person)
    by_portal: dict[int, list[NewPerson]] = {}
    for person in alone:
        by_portal.setdefault(person.sub.portal_id, []).append(person)
    chosen: list[NewPerson] = []
    for portal_id, people in by_portal.items():
        done = event_store.stored_guids(conn, portal_id, [p.sub.guid for p in people])
        held_emails = bulk.holders(conn, portal_id, ct.CONTACTS, EMAIL_PROP,
                                   (p.email for p in people))
        held_tokens = bulk.holders(conn, portal_id, ct.CONTACTS, TOKEN_PROP,
                                   (p.token for p in people if p.token))
        chosen += [
            p for p in people
            if p.sub.guid not in done and p.email not in held_emails
            and p.token not in held_tokens
        ]
    return chosen


def create(conn: Connection, people: Sequence[NewPerson], now: int) -> dict[int, int]:
    """Write every new person's contact, lead, event and callback and mark them done.

    Returns the lead id of each submission id; empty when nothing was written
    (the savepoint was rolled back and the batch goes one by one).
    """
    if not people:
        return {}
    savepoint = conn.begin_nested()
    try:
        leads = _create(conn, people, now)
    except Exception as exc:
        savepoint.rollback()
        if is_unavailable(exc):
            raise
        log.info("new people of a batch go one by one: %s: %s", type(exc).__name__, exc)
        return {}
    savepoint.commit()
    return leads


def _create(conn: Connection, people: Sequence[NewPerson], now: int) -> dict[int, int]:
    groups: dict[tuple[int, str], list[NewPerson]] = {}
    for person in people:
        groups.setdefault((person.sub.portal_id, person.sub.form_guid), []).append(person)
    leads: dict[int, int] = {}
    for (portal_id, form_guid), group in groups.items():
        change = Change(now, SOURCE_TYPE, form_guid)
        contact_ids = bulk.insert_objects(
            conn, portal_id, ct.CONTACTS,
            [bulk.NewObject(p.contact, now, now) for p in group], change,
        )
        bulk.claim_unique_values(
            conn, portal_id, ct.CONTACTS, EMAIL_PROP,
            [(p.email, cid) for p, cid in zip(group, contact_ids, strict=True)],
        )
        bulk.claim_unique_values(
            conn, portal_id, ct.CONTACTS, TOKEN_PROP,
            [(p.token, cid) for p, cid in zip(group, contact_ids, strict=True) if p.token],
        )
        props = [_lead_props(p) for p in group]
        lead_ids = bulk.insert_objects(
            conn, portal_id, ct.LEADS, [bulk.NewObject(lp, now, now) for lp in props], change
        )
        bulk.claim_unique_values(
            conn, portal_id, ct.LEADS, F.GUID_PROP,
            [(lp[F.GUID_PROP], lid) for lp, lid in zip(props, lead_ids, strict=True)],
        )
        bulk.associate_many(
            conn, portal_id, ct.LEADS, ct.CONTACTS, list(zip(lead_ids, contact_ids, strict=True)),
            lead_service.PRIMARY_CONTACT, now,
        )
        events = []
        for person, lead_id in zip(group, lead_ids, strict=True):
            event = conversion_event(person.sub, person.form)
            event.lead_id = lead_id
            events.append(event)
            leads[person.sub.id] = lead_id
        event_store.add_new_events(conn, portal_id, events)
        url = form_store.get_callback_url(conn, portal_id)
        if url:
            callback_store.add_callbacks(conn, portal_id, lead_ids, url, now)
    queue_store.mark_many_done(conn, leads, now)
    return leads


def _lead_props(person: NewPerson) -> dict[str, str]:
    """The lead's properties once created and its first conversion counted, as ``process``
    leaves them (``lead_service.create``, then ``add_conversion_event``)."""
    props = dict(person.lead)
    props.setdefault(F.LEAD_NAME_PROP, lead_service.lead_name(person.contact))
    props[F.GUID_PROP] = new_guid().lower()
    props.setdefault(PUBLIC_TOKEN_PROP, lead_service.new_public_token())
    converted = lead_service.to_stored_ms(person.sub.received_at)
    props[F.FIRST_CONVERTED_PROP] = converted
    props[_LAST_CONVERTED] = converted
    props[_NUM_CONVERSIONS] = "1"
    return props

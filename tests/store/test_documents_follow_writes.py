"""Random sequences of writes through every face leave every lead's stored v1 document
current: each write transaction stores again the documents of the leads it changed.

After every step, every lead of the portal has its document stored (SQLite), the
one the ordinary read path renders from its rows now, with the email a lookup by
email would find it alone by. On PostgreSQL, where reads (and imports) store
documents, every document there is the one rendered now, and every lead's is
stored again before the next step, so that each write meets documents its triggers must empty
(``assert_documents_current``).
"""

from __future__ import annotations

import itertools
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadhub import crm_types as ct
from leadhub import portals
from leadhub.crm import association_api, merge
from leadhub.crm import objects as crm
from leadhub.errors import NotFound, ValidationError
from leadhub.leads import service, update
from leadhub.leads.fields import GUID_PROP
from leadhub.leads.importer import SOURCE_TYPE, import_batch
from leadhub.leads.render import render
from leadhub.store import Database
from leadhub.store import events as event_store
from leadhub.store.events import ConversionEvent
from leadhub.store.objects import Change
from leadhub.store.schema import (
    associations,
    conversion_events,
    lead_logs,
    objects,
    unique_values,
)
from tests.documents_check import assert_documents_current

AT = 1_700_000_000_000
# Steps are numbered per portal (a fresh one per example), so that an example's
# names, times and guids are the same each time it runs.
_steps: dict[int, itertools.count[int]] = {}

OPS = (
    "v1_create", "v3_lead_for_contact", "patch_lead", "patch_contact", "unlink",
    "link", "convert", "log", "archive_lead", "v1_put", "import_known", "merge_contacts",
    "gdpr_contact",
    # Rows changed directly, as another module of the store might: each reaches one of
    # the triggers that name changed leads on its own.
    "raw_lead", "raw_move_primary", "raw_drop_primary", "raw_move_event", "raw_drop_event",
    "raw_move_log", "raw_drop_log", "raw_drop_contact",
)


def _leads_and_contacts(db: Database, portal_id: int) -> tuple[list[int], list[int]]:
    with db.read() as conn:
        rows = conn.execute(sa.select(objects.c.id, objects.c.object_type).where(
            objects.c.portal_id == portal_id, objects.c.archived.is_(False),
        ).order_by(objects.c.id)).all()
    return ([i for i, t in rows if t == ct.LEADS], [i for i, t in rows if t == ct.CONTACTS])


def _guid(db: Database, portal_id: int, lead_id: int) -> str:
    with db.read() as conn:
        return service.load(conn, portal_id, [lead_id])[0].guid


def _step(db: Database, portal_id: int, op: str, pick: int) -> None:
    leads, contacts = _leads_and_contacts(db, portal_id)
    n = next(_steps.setdefault(portal_id, itertools.count(1)))
    change = Change(AT + n, "API", "tests")
    lead = leads[pick % len(leads)] if leads else None
    contact = contacts[pick % len(contacts)] if contacts else None
    if op == "v1_create" or lead is None or contact is None:
        db.write_call(service.create, portal_id,
                      {"firstName": f"P{n}", "email": f"p{n}@example.com"}, change)
    elif op == "v3_lead_for_contact":
        # One lead, or three: a contact with three leads or more takes the paths
        # where its other leads' documents have no email to lose.
        def create(conn):  # type: ignore[no-untyped-def]
            for k in range(1 + 2 * (pick % 2)):
                crm.create_object(conn, portal_id, ct.LEADS, {
                    "properties": {"hs_lead_name": f"Lead {n}.{k}"},
                    "associations": [{"to": {"id": str(contact)}, "types": [
                        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
                }, change)
        db.write_call(create)
    elif op == "patch_lead":
        db.write_call(crm.update_object, portal_id, ct.LEADS, str(lead),
                      {"properties": {"hs_lead_name": f"Renamed {n}"}}, change)
    elif op == "patch_contact":
        db.write_call(crm.update_object, portal_id, ct.CONTACTS, str(contact),
                      {"properties": {"firstname": f"F{n}", "email": f"moved{n}@example.com"}},
                      change)
    elif op in ("unlink", "link"):
        fn = association_api.v3_delete if op == "unlink" else association_api.v3_put
        db.write_call(fn, portal_id, "leads", str(lead), "contacts", str(contact), "578", AT + n)
    elif op in ("convert", "log"):
        def write(conn):  # type: ignore[no-untyped-def]
            row = service.load(conn, portal_id, [lead])[0].lead
            if op == "log":
                event_store.add_log(conn, portal_id, lead, event_store.CUSTOMER, AT + n, True)
                return
            event = ConversionEvent(guid=f"{portal_id:08x}{n:024x}", lead_id=0, convert_date=AT + n,
                                    form_guid="f" * 32, form_id=1, form_name=f"Form {n}")
            if pick % 2:
                service.add_conversion_event(conn, row, event, change)
            else:  # the event's row alone, its lead's row untouched
                event.lead_id = lead
                event_store.add_event(conn, portal_id, event)
        db.write_call(write)
    elif op == "archive_lead":
        db.write_call(crm.archive_object, portal_id, ct.LEADS, str(lead), change)
    elif op == "v1_put":
        guid = _guid(db, portal_id, lead)
        db.write_call(update.update, portal_id, guid, {"guid": guid, "company": f"C{n}"},
                      change, partial(render, base_url=""))
    elif op == "import_known":
        with db.read() as conn:
            email = conn.execute(sa.select(unique_values.c.value).where(
                unique_values.c.portal_id == portal_id, unique_values.c.object_id == contact,
                unique_values.c.property == "email")).scalar()
        row = {"firstName": f"Imported {n}", "email": email or f"i{n}@example.com"}
        db.write_call(import_batch, portal_id, [(2, row)], Change(AT + n, SOURCE_TYPE, "tests"))
    elif op == "merge_contacts" and len(contacts) > 1:
        other = contacts[(pick + 1) % len(contacts)]
        db.write_call(merge.merge, portal_id, ct.CONTACTS,
                      {"primaryObjectId": str(contact), "objectIdToMerge": str(other)}, change)
    elif op.startswith("raw_"):
        other = leads[(pick + 1) % len(leads)]
        db.write_call(_raw, portal_id, op, lead, other, contact, n)
    elif op == "gdpr_contact":
        db.write_call(merge.gdpr_delete, portal_id, ct.CONTACTS,
                      {"objectId": str(contact)}, change)


def _raw(conn: Any, portal_id: int, op: str, lead: int, other: int, contact: int, n: int) -> None:
    """One row changed directly (see OPS)."""
    events, logs, a = conversion_events, lead_logs, associations
    to_lead = (a.c.portal_id == portal_id) & (a.c.type_id == ct.PRIMARY_CONTACT_TO_LEAD)
    if op == "raw_lead":
        props = {"hs_lead_name": f"Raw {n}"}
        if n % 2:
            props[GUID_PROP] = f"{n:032x}"
        conn.execute(sa.insert(objects).values(
            portal_id=portal_id, object_type=ct.LEADS, props=props, created_at=AT + n,
            updated_at=AT + n, archived=False))
    elif op in ("raw_move_primary", "raw_drop_primary"):
        # Both rows of the lead's primary association (as every writer keeps them):
        # given to another lead, or removed, without the archive rule.
        to_contact = (a.c.portal_id == portal_id) & (a.c.type_id == ct.LEAD_TO_PRIMARY_CONTACT)
        mine = conn.execute(sa.select(a.c.to_id).where(to_contact, a.c.from_id == lead)).scalars()
        for contact_id in list(mine):
            lead_side = sa.and_(to_contact, a.c.from_id == lead, a.c.to_id == contact_id)
            contact_side = sa.and_(to_lead, a.c.from_id == contact_id, a.c.to_id == lead)
            if op == "raw_drop_primary":  # contact side first: only the lead side names it
                conn.execute(sa.delete(a).where(contact_side))
                conn.execute(sa.delete(a).where(lead_side))
            else:
                _move_pair(conn, portal_id, lead, contact_id, to_lead=other)
    elif op == "raw_move_event":
        conn.execute(sa.update(events).where(
            events.c.portal_id == portal_id, events.c.lead_id == lead).values(lead_id=other))
    elif op == "raw_drop_event":
        conn.execute(sa.delete(events).where(
            events.c.portal_id == portal_id, events.c.lead_id == lead))
    elif op == "raw_move_log":
        conn.execute(sa.update(logs).where(
            logs.c.portal_id == portal_id, logs.c.lead_id == lead).values(lead_id=other))
    elif op == "raw_drop_log":
        conn.execute(sa.delete(logs).where(logs.c.portal_id == portal_id, logs.c.lead_id == lead))
    elif op == "raw_drop_contact":  # its associations left in place
        conn.execute(sa.delete(objects).where(objects.c.id == contact))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 50)),
                      min_size=1, max_size=12))
def test_random_writes_keep_every_document_current(
    db: Database, steps: list[tuple[str, int]]
) -> None:
    portal_id = db.write_call(lambda conn: portals.create_portal(conn, "Random writes").id)
    for op, pick in steps:
        try:
            _step(db, portal_id, op, pick)
        except (NotFound, ValidationError, sa.exc.IntegrityError):
            pass  # a refused write changes nothing; the documents must still be current
        assert_documents_current(db, portal_id)


def test_every_operation_of_the_sequence_runs(db: Database) -> None:
    """Each operation above writes (none is refused every time), so the random test
    exercises them all."""
    portal_id = db.write_call(lambda conn: portals.create_portal(conn, "Every op").id)
    for _ in range(3):
        _step(db, portal_id, "v1_create", 0)
    for op in OPS:
        for pick in (1, 2):
            _step(db, portal_id, op, pick)
            assert_documents_current(db, portal_id)





def _pair(portal_id: int, lead: int, contact: int) -> list[dict[str, Any]]:
    """Both rows of a primary association between a lead and a contact."""
    row = {"portal_id": portal_id, "category": ct.HUBSPOT_DEFINED, "created_at": AT}
    return [
        {**row, "from_id": lead, "type_id": ct.LEAD_TO_PRIMARY_CONTACT, "to_id": contact,
         "from_type": ct.LEADS, "to_type": ct.CONTACTS},
        {**row, "from_id": contact, "type_id": ct.PRIMARY_CONTACT_TO_LEAD, "to_id": lead,
         "from_type": ct.CONTACTS, "to_type": ct.LEADS},
    ]


def test_a_contact_with_many_leads_gaining_or_moving_one(db: Database) -> None:
    """A contact with more leads than the triggers look at (two) gains a lead, and has
    its association with one lead given to another: the leads named by the changed
    rows are stored again, though the contact's first two leads are others."""
    portal_id = db.write_call(lambda conn: portals.create_portal(conn, "Busy contact").id)
    _step(db, portal_id, "v1_create", 0)
    (first,), (busy,) = _leads_and_contacts(db, portal_id)

    def more_leads(conn):  # type: ignore[no-untyped-def]
        for k in range(3):
            crm.create_object(conn, portal_id, ct.LEADS, {
                "properties": {"hs_lead_name": f"Busy {k}"},
                "associations": [{"to": {"id": str(busy)}, "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}]}],
            }, Change(AT, "API", "tests"))

    db.write_call(more_leads)
    # Two more people, whose leads come after the busy contact's first two.
    for _ in range(2):
        _step(db, portal_id, "v1_create", 0)
    leads, _ = _leads_and_contacts(db, portal_id)
    stranger, third = leads[-2:]
    a = associations
    with db.read() as conn:
        mine = list(conn.execute(sa.select(a.c.to_id).where(
            a.c.from_id == busy, a.c.type_id == ct.PRIMARY_CONTACT_TO_LEAD,
        ).order_by(a.c.to_id)).scalars())
    assert len(mine) == 4 and mine[0] == first and {stranger, third}.isdisjoint(mine)
    assert_documents_current(db, portal_id)

    # The busy contact becomes a second primary contact of another person's lead.
    db.write_call(lambda conn: conn.execute(sa.insert(a), _pair(portal_id, stranger, busy)))
    assert_documents_current(db, portal_id)

    db.write_call(_move_pair, portal_id, mine[-1], busy, to_lead=third)
    assert_documents_current(db, portal_id)


def test_a_lead_moved_to_another_contact(db: Database) -> None:
    """A lead's primary association moved to another contact: the contact it leaves
    keeps one lead (whose document gains the email), the one it joins had one (whose
    document loses it, and gains it back when the association is dropped)."""
    portal_id = db.write_call(lambda conn: portals.create_portal(conn, "Moved lead").id)
    for _ in range(2):
        _step(db, portal_id, "v1_create", 0)
    (moved, kept), (left, joined) = _leads_and_contacts(db, portal_id)
    _step(db, portal_id, "v3_lead_for_contact", 0)  # one more lead for the first contact
    assert_documents_current(db, portal_id)
    db.write_call(_move_pair, portal_id, moved, left, to_contact=joined)
    assert_documents_current(db, portal_id)
    assert set(_leads_of(db, joined)) == {kept, moved} and len(_leads_of(db, left)) == 1
    # And then dropped, both rows, without the archive rule: the lead has no contact.
    db.write_call(_raw, portal_id, "raw_drop_primary", moved, kept, joined, 0)
    assert_documents_current(db, portal_id)
    assert _leads_of(db, joined) == [kept]


def _move_pair(
    conn: Any, portal_id: int, lead: int, contact: int, *,
    to_lead: int | None = None, to_contact: int | None = None,
) -> None:
    """Give both rows of the primary association of ``lead`` and ``contact`` to another
    lead or contact, by updating them."""
    a = associations
    new_lead, new_contact = to_lead or lead, to_contact or contact
    conn.execute(sa.update(a).where(
        a.c.portal_id == portal_id, a.c.from_id == lead,
        a.c.type_id == ct.LEAD_TO_PRIMARY_CONTACT, a.c.to_id == contact,
    ).values(from_id=new_lead, to_id=new_contact))
    conn.execute(sa.update(a).where(
        a.c.portal_id == portal_id, a.c.from_id == contact,
        a.c.type_id == ct.PRIMARY_CONTACT_TO_LEAD, a.c.to_id == lead,
    ).values(from_id=new_contact, to_id=new_lead))


def _leads_of(db: Database, contact: int) -> list[int]:
    a = associations
    with db.read() as conn:
        return list(conn.execute(sa.select(a.c.to_id).where(
            a.c.from_id == contact, a.c.type_id == ct.PRIMARY_CONTACT_TO_LEAD)).scalars())


@pytest.mark.parametrize("table", ["conversion_events", "lead_logs"])
def test_event_and_log_rows_moved_and_deleted(db: Database, table: str) -> None:
    """A conversion event's or log's row added, given to another lead and deleted, by
    itself: both leads' documents follow each step."""
    portal_id = db.write_call(lambda conn: portals.create_portal(conn, f"Rows of {table}").id)
    for _ in range(2):
        _step(db, portal_id, "v1_create", 0)
    (one, two), _ = _leads_and_contacts(db, portal_id)
    rows = conversion_events if table == "conversion_events" else lead_logs

    def add(conn):  # type: ignore[no-untyped-def]
        if rows is lead_logs:
            event_store.add_log(conn, portal_id, one, event_store.CUSTOMER, AT, True)
        else:
            event_store.add_event(conn, portal_id, ConversionEvent(
                guid=f"{portal_id:032x}", lead_id=one, convert_date=AT, form_guid="f" * 32,
                form_id=1, form_name="Moved"))

    for change in (
        add,
        lambda conn: conn.execute(sa.update(rows).where(rows.c.lead_id == one).values(lead_id=two)),
        lambda conn: conn.execute(sa.delete(rows).where(rows.c.lead_id == two)),
    ):
        db.write_call(change)
        assert_documents_current(db, portal_id)

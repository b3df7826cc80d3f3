"""The v1 update rules (HubSpot's "Update a Lead" document): PUT /leads/v1/lead/:guid.

A PUT is all-or-nothing: every field is checked first, and a read-only field
whose value differs is checked again against the lead as the update would
leave it (so ``{"closedAt": 1, "isCustomer": true}`` is consistent), inside
the write transaction; any error raises and the transaction rolls back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.errors import Conflict, ValidationError
from leadhub.leads import fields as F
from leadhub.leads import rawload
from leadhub.leads.convert import from_v1
from leadhub.leads.service import (
    EMAIL_PROP,
    PRIMARY_CONTACT,
    LeadView,
    lead_id_for_guid,
    lead_name,
    no_lead,
    normalize_email,
    to_stored_ms,
)
from leadhub.store import associations as assoc_store
from leadhub.store import events as event_store
from leadhub.store import objects as obj_store
from leadhub.store import uniquevalues as unique_store
from leadhub.store.objects import Change, ObjectRow
from leadhub.values import MAX_MS, digits

Render = Callable[[LeadView], dict[str, Any]]


SOURCE_PROPS = ("hs_analytics_source", "hs_analytics_source_data_1", "hs_analytics_source_data_2")


@dataclass
class Plan:
    """What a PUT body asks for, checked and in stored form."""

    lead: dict[str, str | None] = field(default_factory=dict)
    contact: dict[str, str | None] = field(default_factory=dict)
    closed_at: int | None | bool = False  # False: untouched; None: reopen; int: close at
    deleted: bool | None = None
    # Read-only fields sent with a value that differs from the current one.
    read_only: dict[str, Any] = field(default_factory=dict)


def update(
    conn: Connection, portal_id: int, guid: str, body: Any, change: Change, render: Render
) -> None:
    """Apply a v1 PUT body to the lead ``guid``; all-or-nothing.

    ``render`` turns a LeadView into its v1 JSON, so that read-only fields
    sent back unchanged (a GET, modify, PUT round trip) are accepted.
    """
    if not isinstance(body, dict):
        raise ValidationError("the request body must be a JSON object")
    body_guid = body.get("guid")
    if not isinstance(body_guid, str) or body_guid.strip().lower() != guid.strip().lower():
        raise ValidationError(
            "the body must carry the lead's guid, the same as in the URL "
            f"(URL: {guid}, body: {body_guid!r})",
            context={"fields": ["guid"]},
        )
    lead_id = lead_id_for_guid(conn, portal_id, guid)
    lead = (
        obj_store.get(conn, portal_id, ct.LEADS, lead_id, include_archived=True, for_update=True)
        if lead_id is not None
        else None
    )
    if lead is None:
        raise no_lead(guid)
    view = rawload.loader(conn, portal_id, [lead.id])[0]
    view.lead = lead
    errors: list[tuple[str, str]] = []
    plan = plan_update(body, lambda: render(view), errors)
    if errors:
        raise _invalid(errors)
    apply(conn, view, plan, change)
    if plan.read_only:
        after = render(rawload.loader(conn, portal_id, [lead.id])[0])
        for name, sent in plan.read_only.items():
            if not same(sent, after.get(name)):
                errors.append((name, f"{name} is not editable"))
        if errors:
            raise _invalid(errors)


def _invalid(errors: list[tuple[str, str]]) -> ValidationError:
    names = sorted({name for name, _ in errors})
    return ValidationError(
        f"invalid lead update ({', '.join(names)}): " + "; ".join(m for _, m in errors),
        errors=[{"message": message, "in": name} for name, message in errors],
        context={"fields": names},
    )


def plan_update(
    body: dict[str, Any], lead_json: Callable[[], dict[str, Any]],
    errors: list[tuple[str, str]],
) -> Plan:
    """Check a PUT body against the current v1 lead; problems go to ``errors``.

    ``lead_json`` renders the lead's current v1 JSON; it is called only for a body
    with fields that are not editable (most PUTs change editable fields only, and
    a render is a large part of their work).
    """
    plan = Plan()
    current: dict[str, Any] | None = None
    for raw_key, value in body.items():
        key = F.ALIASES.get(raw_key, raw_key)
        fld = F.BY_NAME.get(key)
        if key == "guid":
            continue
        if key == "closedAt":
            plan.closed_at = parse_closed_at(value)
            if plan.closed_at is False:
                errors.append(
                    (raw_key, f'closedAt must be a timestamp in milliseconds up to {MAX_MS} or ""')
                )
        elif key == "isDeleted":
            flag = to_bool(value)
            if flag is None:
                errors.append((raw_key, "isDeleted must be true or false"))
            else:
                plan.deleted = flag
        elif fld is not None and fld.editable:
            try:
                stored = from_v1(fld, value)
            except ValueError as exc:
                errors.append((raw_key, f"{raw_key}: {exc}"))
                continue
            (plan.lead if fld.owner == "lead" else plan.contact)[fld.prop] = stored
        else:
            if current is None:
                current = lead_json()
            if key == "lastModifiedAt" and _stale_stamp(value, current):
                continue
            if key not in current:
                errors.append((raw_key, f"{raw_key} is not a lead field"))
            elif not same(value, current[key]):
                plan.read_only[key] = value
    if errors:
        errors.extend((k, f"{k} is not editable") for k in plan.read_only)
    return plan


def _stale_stamp(value: Any, current: dict[str, Any]) -> bool:
    """Whether ``value`` is a lastModifiedAt the lead may have had (insertedAt..now).

    A client that PUTs the copy it read twice carries a stale stamp after its
    first write; that is not an attempt to change the field, so it is let
    through, while a stamp the lead never had is refused like any read-only value.
    """
    if isinstance(value, bool):
        return False
    try:
        stamp = float(value)
    except (TypeError, ValueError):
        return False
    return bool(current.get("insertedAt", 0) <= stamp <= current.get("lastModifiedAt", 0))


def to_bool(value: Any) -> bool | None:
    """A JSON boolean or its text form; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def parse_closed_at(value: Any) -> int | None | bool:
    """closedAt as sent: ms (number or digit string) closes, "" / 0 / null reopens, else False."""
    if value is None or value == "" or value == "0":
        return None
    if isinstance(value, bool):
        return False
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        # Past year 9999 no datetime can hold it.
        if value > MAX_MS:
            return False
        return value if value > 0 else (None if value == 0 else False)
    if isinstance(value, str) and digits(value.strip()):
        ms = int(value.strip())
        if ms > MAX_MS:
            return False
        return ms or None
    return False


def same(sent: Any, current: Any) -> bool:
    """Whether a value sent for a read-only field equals the lead's value."""
    if isinstance(current, bool):
        return to_bool(sent) == current
    if isinstance(sent, bool):
        return False  # JSON true is not the number 1
    if isinstance(current, (int, float)):
        try:
            return float(sent) == current
        except (TypeError, ValueError):
            return False
    return bool(sent == current)


def apply(conn: Connection, view: LeadView, plan: Plan, change: Change) -> None:
    """Write a checked plan: properties, customer status, deletion, and their logs."""
    lead, portal_id, now = view.lead, view.lead.portal_id, change.timestamp
    lead_changes = dict(plan.lead)
    if plan.closed_at is not False:
        closed = plan.closed_at if isinstance(plan.closed_at, int) else None
        lead_changes.update(close_changes(conn, lead, closed, now))
    contact_changes: dict[str, str | None] = {}
    if plan.contact:
        old_name = lead_name(view.contact.props) if view.contact is not None else None
        contact_changes = _apply_contact(conn, view, dict(plan.contact), change)
        assert view.contact is not None
        new_name = lead_name(view.contact.props)
        # Keep a lead name that follows its contact's name in step with it.
        if lead.props.get(F.LEAD_NAME_PROP) in (old_name, None) and new_name != old_name:
            lead_changes.setdefault(F.LEAD_NAME_PROP, new_name)
    changed = obj_store.update_props(conn, lead, lead_changes, change, touch=False)
    if plan.deleted is not None and plan.deleted != lead.archived:
        event_store.add_log(conn, portal_id, lead.id, event_store.DELETE, now, lead.archived)
        obj_store.set_archived(conn, lead, plan.deleted, now)
    elif contact_changes and not changed:
        obj_store.touch(conn, lead, now)


def close_changes(
    conn: Connection, lead: ObjectRow, closed_at: int | None, now: int
) -> dict[str, str | None]:
    """The lead property changes that close it as a customer at ``closed_at`` (ms), or
    reopen it (None); logs the customer status change when there is one."""
    was_customer = bool(lead.props.get(F.CLOSED_AT.prop))
    changes: dict[str, str | None] = {
        F.CLOSED_AT.prop: to_stored_ms(closed_at) if closed_at is not None else None
    }
    if (closed_at is not None) != was_customer:
        changes["leadhub_customer_status_modified_at"] = to_stored_ms(now)
        event_store.add_log(conn, lead.portal_id, lead.id, event_store.CUSTOMER, now, was_customer)
    return changes


def _apply_contact(
    conn: Connection, view: LeadView, changes: dict[str, str | None], change: Change
) -> dict[str, str | None]:
    portal_id = view.lead.portal_id
    contact = view.contact
    if contact is None:
        contact = obj_store.insert(conn, portal_id, ct.CONTACTS, {}, change)
        assoc_store.add(
            conn, portal_id, ct.LEADS, view.lead.id, ct.CONTACTS, contact.id,
            PRIMARY_CONTACT, change.timestamp,
        )
    else:
        locked = obj_store.get(conn, portal_id, ct.CONTACTS, contact.id, for_update=True)
        contact = locked or contact
    view.contact = contact
    if EMAIL_PROP in changes and changes[EMAIL_PROP] != contact.props.get(EMAIL_PROP):
        new = changes[EMAIL_PROP]
        holder = unique_store.set_unique(
            conn, contact, EMAIL_PROP, normalize_email(new) if new else None
        )
        if holder is not None:
            raise Conflict(
                f"another contact already has the email {new}", context={"fields": ["email"]}
            )
    if any(k in changes and changes[k] != contact.props.get(k) for k in SOURCE_PROPS):
        changes["leadhub_source_modified_at"] = to_stored_ms(change.timestamp)
    return obj_store.update_props(conn, contact, changes, change, touch=False)

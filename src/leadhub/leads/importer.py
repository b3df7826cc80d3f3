"""Importing v1 leads in bulk: rows named by v1 fields, de-duplicated by email.

A row whose email belongs to an existing contact (or to an earlier row of the
same import) updates that contact and its lead instead of creating a second
person; every other row creates a contact and its lead. Every value written
is recorded in property history with source ``IMPORT``, and the v1 document
of every lead written is stored with the batch, as with every write
(leads/documents.py), so that a lead's first read is one lookup. A row with a bad
value is rejected with its line number and changes nothing; the other rows
are imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub import values as V
from leadhub.errors import ValidationError
from leadhub.leads import docwrites, service
from leadhub.leads import fields as F
from leadhub.leads.convert import from_v1
from leadhub.store import associations as assoc_store
from leadhub.store import bulk
from leadhub.store import objects as obj_store
from leadhub.store import uniquevalues as unique_store
from leadhub.store.objects import Change
from leadhub.util import new_guid
from leadhub.values import digits

SOURCE_TYPE = "IMPORT"
# Columns that are not stored fields: the lead's own identity and timestamps.
META_COLUMNS = ("guid", "insertedAt", "lastModifiedAt")


@dataclass
class ImportResult:
    """What one import (or one batch of it) did."""

    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: ImportResult) -> None:
        """Fold another batch's result into this one."""
        self.created += other.created
        self.updated += other.updated
        self.rejected.extend(other.rejected)


@dataclass
class _Row:
    line: int
    guid: str | None
    created_at: int
    updated_at: int
    lead: dict[str, str]
    contact: dict[str, str]


def check_columns(columns: Sequence[str]) -> None:
    """Refuse a header with a column that is not a v1 lead field."""
    known = set(F.ALL_STORED) | set(F.ALIASES) | set(META_COLUMNS)
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ValidationError(
            f"unknown column(s) {', '.join(map(repr, unknown))}; columns are v1 lead field "
            f"names (firstName, email, ...) and {', '.join(META_COLUMNS)}"
        )
    if not columns:
        raise ValidationError("the file has no header row")


def _ms(value: str, name: str) -> int:
    text = value.strip()
    try:
        ms = V.iso_to_ms(text)
    except ValueError:
        raise ValueError(
            f"{name}: expected milliseconds or an ISO 8601 date, got {text!r}"
        ) from None
    if ms < 0:
        raise ValueError(f"{name}: expected a date after 1970, got {text!r}")
    return ms


def _cell(field: F.Field, text: str) -> str | None:
    """A CSV cell as stored property text; ValueError if it does not fit the field."""
    if field.kind == "ms" and not digits(text.strip()):
        return service.to_stored_ms(_ms(text, field.name))
    if field.kind == "source" and text.strip().upper() in F.SOURCE_ID_BY_ENUM:
        return text.strip().upper()
    try:
        return from_v1(field, text)
    except ValueError as exc:
        raise ValueError(f"{field.name}: {exc}") from None


def _parse(line: int, raw: Mapping[str, str | None], now: int) -> _Row:
    lead: dict[str, str] = {}
    contact: dict[str, str] = {}
    for name, cell in raw.items():
        if cell is None or cell == "" or name in META_COLUMNS:
            continue
        key = F.ALIASES.get(name, name)
        fld = F.ALL_STORED[key]
        stored = _cell(fld, cell)
        if stored is None:
            continue
        (lead if fld.owner == "lead" else contact)[fld.prop] = stored
    created = _ms(raw["insertedAt"] or "", "insertedAt") if raw.get("insertedAt") else now
    modified = (
        _ms(raw["lastModifiedAt"] or "", "lastModifiedAt") if raw.get("lastModifiedAt") else now
    )
    guid = (raw.get("guid") or "").strip().lower() or None
    if guid is not None and (len(guid) > 64 or not guid.isalnum()):
        raise ValueError(f"guid: expected letters and digits, got {guid!r}")
    email = contact.get(service.EMAIL_PROP)
    if email is not None:
        contact[service.EMAIL_PROP] = email.strip()
    return _Row(line, guid, created, max(created, modified), lead, contact)


def import_batch(
    conn: Connection, portal_id: int, rows: Sequence[tuple[int, Mapping[str, str | None]]],
    change: Change,
) -> ImportResult:
    """Import one batch of (line number, CSV row) pairs in the caller's transaction."""
    result = ImportResult()
    parsed: list[_Row] = []
    for line, raw in rows:
        try:
            parsed.append(_parse(line, raw, change.timestamp))
        except ValueError as exc:
            result.rejected.append((line, str(exc)))
    # Later rows with the same email overlay earlier ones: one person, one lead.
    by_email: dict[str, _Row] = {}
    fresh: list[_Row] = []
    for row in parsed:
        email = row.contact.get(service.EMAIL_PROP)
        key = service.normalize_email(email) if email else None
        if key is not None and key in by_email:
            first = by_email[key]
            first.lead.update(row.lead)
            first.contact.update(row.contact)
            first.updated_at = max(first.updated_at, row.updated_at)
            result.updated += 1
            continue
        if key is not None:
            by_email[key] = row
        fresh.append(row)
    known = bulk.holders(conn, portal_id, ct.CONTACTS, service.EMAIL_PROP, by_email)
    new_rows = []
    for row in fresh:
        email = row.contact.get(service.EMAIL_PROP)
        if email and service.normalize_email(email) in known:
            _update_existing(conn, portal_id, row, change)
            result.updated += 1
        else:
            new_rows.append(row)
    new_rows = _drop_taken_guids(conn, portal_id, new_rows, result)
    _create(conn, portal_id, new_rows, change)
    # Imported leads are read for the first time later, one by one: each read is then
    # a lookup of a stored document.
    docwrites.store_imported(conn, portal_id, [r.guid for r in new_rows if r.guid])
    result.created += len(new_rows)
    return result


def _drop_taken_guids(
    conn: Connection, portal_id: int, rows: list[_Row], result: ImportResult
) -> list[_Row]:
    given = [r.guid for r in rows if r.guid]
    taken = bulk.holders(conn, portal_id, ct.LEADS, F.GUID_PROP, given) if given else {}
    seen: set[str] = set()
    kept = []
    for row in rows:
        if row.guid and (row.guid in taken or row.guid in seen):
            result.rejected.append((row.line, f"guid: a lead with guid {row.guid} exists"))
            continue
        if row.guid:
            seen.add(row.guid)
        kept.append(row)
    return kept


def _create(conn: Connection, portal_id: int, rows: list[_Row], change: Change) -> None:
    if not rows:
        return
    contact_ids = bulk.insert_objects(
        conn, portal_id, ct.CONTACTS,
        [bulk.NewObject(r.contact, r.created_at, r.updated_at) for r in rows], change,
    )
    emails = [
        (service.normalize_email(r.contact[service.EMAIL_PROP]), cid)
        for r, cid in zip(rows, contact_ids, strict=True)
        if r.contact.get(service.EMAIL_PROP)
    ]
    bulk.claim_unique_values(conn, portal_id, ct.CONTACTS, service.EMAIL_PROP, emails)
    leads = []
    for row in rows:
        props = dict(row.lead)
        props[F.LEAD_NAME_PROP] = service.lead_name(row.contact)
        row.guid = row.guid or new_guid()
        props[F.GUID_PROP] = row.guid
        props[service.PUBLIC_TOKEN_PROP] = service.new_public_token()
        leads.append(bulk.NewObject(props, row.created_at, row.updated_at))
    lead_ids = bulk.insert_objects(conn, portal_id, ct.LEADS, leads, change)
    bulk.claim_unique_values(
        conn, portal_id, ct.LEADS, F.GUID_PROP,
        [(r.guid or "", lid) for r, lid in zip(rows, lead_ids, strict=True)],
    )
    bulk.associate_many(
        conn, portal_id, ct.LEADS, ct.CONTACTS, list(zip(lead_ids, contact_ids, strict=True)),
        service.PRIMARY_CONTACT, change.timestamp,
    )


def _update_existing(conn: Connection, portal_id: int, row: _Row, change: Change) -> None:
    """A row for a person already in the store updates their contact and lead."""
    email = service.normalize_email(row.contact[service.EMAIL_PROP])
    contact_id = unique_store.find_unique(conn, portal_id, ct.CONTACTS, service.EMAIL_PROP, email)
    contact = (
        obj_store.get(conn, portal_id, ct.CONTACTS, contact_id, for_update=True)
        if contact_id is not None
        else None
    )
    if contact is None:
        _create(conn, portal_id, [row], change)
        return
    obj_store.update_props(conn, contact, row.contact, change, touch=False)
    lead_id = service.find_lead_id(conn, portal_id, email=email)
    lead = (
        obj_store.get(conn, portal_id, ct.LEADS, lead_id, for_update=True)
        if lead_id is not None
        else None
    )
    if lead is not None:
        obj_store.update_props(conn, lead, row.lead, change)
        return
    # The person has no live lead: give them one.
    props = {**row.lead, F.LEAD_NAME_PROP: service.lead_name(contact.props)}
    props[F.GUID_PROP] = row.guid or new_guid()
    props[service.PUBLIC_TOKEN_PROP] = service.new_public_token()
    new = obj_store.insert(conn, portal_id, ct.LEADS, props, change)
    unique_store.set_unique(conn, new, F.GUID_PROP, props[F.GUID_PROP])
    assoc_store.add(
        conn, portal_id, ct.LEADS, new.id, ct.CONTACTS, contact.id,
        service.PRIMARY_CONTACT, change.timestamp,
    )


"""Merging two records of one type, and the GDPR delete of a record.

Merge (HubSpot's objects API): the primary record keeps its values and takes
the merged record's values for the properties it has no value for; it takes
over the merged record's associations, and the merged record is archived.
Single-valued primaries (a lead's primary contact, a contact's primary
company) stay with the primary record; the merged one's become plain
(unlabeled) associations. GDPR delete removes a record permanently; a lead
left without a primary contact is deleted, as the leads guide says.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from leadhub import crm_types as ct
from leadhub.crm import association_types as types
from leadhub.crm import associations
from leadhub.crm import objects as svc
from leadhub.crm.objects import ObjectView, Want
from leadhub.crm.properties import definitions
from leadhub.errors import ValidationError
from leadhub.leads import fields as F
from leadhub.leads.service import PUBLIC_TOKEN_PROP
from leadhub.store import associations as assoc_store
from leadhub.store import crm_purge
from leadhub.store import objects as obj_store
from leadhub.store import uniquevalues as unique_store
from leadhub.store.associations import AssociationType
from leadhub.store.objects import Change, ObjectRow

SINGLE_FROM = frozenset({ct.LEAD_TO_PRIMARY_CONTACT, ct.CONTACT_TO_PRIMARY_COMPANY})
NOT_MERGED = frozenset({F.GUID_PROP, PUBLIC_TOKEN_PROP})


def _id(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{key} is required", errors=[
            {"message": f"{key} is required", "code": "REQUIRED_FIELD"}])
    return value


def _move_associations(conn: Connection, keep: ObjectRow, gone: ObjectRow, at: int) -> None:
    portal_id = keep.portal_id
    held = {(link.type_id) for link in assoc_store.targets(conn, portal_id, [keep.id])}
    for link in assoc_store.targets(conn, portal_id, [gone.id]):
        known = types.by_id(conn, portal_id, link.from_type, link.to_type).get(link.type_id)
        if known is None:
            continue
        kind = AssociationType(known.type_id, known.reverse_id, known.category)
        assoc_store.remove(conn, portal_id, gone.id, link.to_id, kind)
        if link.to_id == keep.id:
            continue
        if known.type_id in SINGLE_FROM and known.type_id in held:
            known = types.require_pair(link.from_type, link.to_type)
            kind = AssociationType(known.type_id, known.reverse_id, known.category)
        assoc_store.add(conn, portal_id, keep.object_type, keep.id, link.to_type, link.to_id,
                        kind, at)


def merge(
    conn: Connection, portal_id: int, object_type: str, body: Any, change: Change
) -> ObjectView:
    """POST .../merge: fold ``objectIdToMerge`` into ``primaryObjectId``."""
    if not isinstance(body, dict):
        raise ValidationError("the request body must be {primaryObjectId, objectIdToMerge}")
    keep_key, gone_key = _id(body, "primaryObjectId"), _id(body, "objectIdToMerge")
    keep = svc.load_row(conn, portal_id, object_type, keep_key, None, for_update=True)
    gone = svc.load_row(conn, portal_id, object_type, gone_key, None, for_update=True)
    if keep.id == gone.id:
        raise ValidationError("an object cannot be merged with itself")
    defs = definitions(conn, portal_id, object_type)
    taken = {k: v for k, v in gone.props.items()
             if k not in NOT_MERGED and k in defs and not keep.props.get(k)}
    for name in svc.unique_props(defs):
        if name in taken:
            unique_store.release_unique(conn, portal_id, object_type, name, gone.id)
    svc.update_row_unchecked(conn, keep, taken, change, defs)
    _move_associations(conn, keep, gone, change.timestamp)
    svc.archive_row(conn, gone, defs, change.timestamp)
    return svc.views(conn, portal_id, [keep], Want(), defs=defs, extra=taken)[0]


def gdpr_delete(
    conn: Connection, portal_id: int, object_type: str, body: Any, change: Change
) -> None:
    """POST .../gdpr-delete: remove a record for good (by id or ``idProperty``)."""
    if not isinstance(body, dict):
        raise ValidationError("the request body must be {objectId, idProperty}")
    key = _id(body, "objectId")
    object_id = svc.resolve_id(conn, portal_id, object_type, key, body.get("idProperty"))
    row = (obj_store.get(conn, portal_id, object_type, object_id, include_archived=True,
                         for_update=True) if object_id is not None else None)
    if row is None:
        return
    orphans = []
    if object_type == ct.CONTACTS:
        links = assoc_store.targets(conn, portal_id, [row.id], type_id=ct.PRIMARY_CONTACT_TO_LEAD)
        orphans = list(obj_store.get_many(conn, portal_id, [x.to_id for x in links]).values())
    crm_purge.purge(conn, portal_id, object_type, row.id)
    associations.after_primary_removed(conn, orphans, change.timestamp)

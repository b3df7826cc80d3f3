"""One service call per association route: path values in, domain results out."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from leadhub.crm import association_reads as reads
from leadhub.crm import association_types as types
from leadhub.crm import associations as svc
from leadhub.crm.association_reads import TargetPage
from leadhub.crm.associations import Pair


def v3_put(
    conn: Connection,
    portal_id: int,
    object_type: str,
    object_id: str,
    to_object_type: str,
    to_object_id: str,
    association_type: str,
    at: int,
) -> TargetPage:
    """v3 PUT: add one type; returns the object's associations of the target type."""
    from_type, to_type = types.object_type(object_type), types.object_type(to_object_type)
    kind = types.resolve_v3(conn, portal_id, from_type, to_type, association_type)
    pair = svc.associate(conn, portal_id, from_type, object_id, to_type, to_object_id, [kind], at)
    return reads.page_for(conn, pair.from_row, to_type, after=None, limit=reads.DEFAULT_LIMIT)


def v3_delete(
    conn: Connection,
    portal_id: int,
    object_type: str,
    object_id: str,
    to_object_type: str,
    to_object_id: str,
    association_type: str,
    at: int,
) -> None:
    """v3 DELETE: remove one type (the unlabeled type: the whole association)."""
    from_type, to_type = types.object_type(object_type), types.object_type(to_object_type)
    kind = types.resolve_v3(conn, portal_id, from_type, to_type, association_type)
    svc.disassociate(conn, portal_id, from_type, object_id, to_type, to_object_id, [kind], at)


def v4_put(
    conn: Connection,
    portal_id: int,
    object_type: str,
    object_id: str,
    to_object_type: str,
    to_object_id: str,
    specs: object,
    at: int,
) -> Pair:
    """v4 PUT with a list of types: the pair's custom labels become exactly these."""
    from_type, to_type = types.object_type(object_type), types.object_type(to_object_type)
    kinds = types.resolve_specs(conn, portal_id, from_type, to_type, specs)
    return svc.associate(
        conn, portal_id, from_type, object_id, to_type, to_object_id, kinds, at,
        replace_labels=True,
    )


def v4_put_default(
    conn: Connection,
    portal_id: int,
    object_type: str,
    object_id: str,
    to_object_type: str,
    to_object_id: str,
    at: int,
) -> Pair:
    """v4 default route: the unlabeled association."""
    from_type, to_type = types.object_type(object_type), types.object_type(to_object_type)
    return svc.associate(conn, portal_id, from_type, object_id, to_type, to_object_id, [], at)


def v4_delete(
    conn: Connection,
    portal_id: int,
    object_type: str,
    object_id: str,
    to_object_type: str,
    to_object_id: str,
    at: int,
) -> None:
    """v4 DELETE: remove every association between the two objects."""
    from_type, to_type = types.object_type(object_type), types.object_type(to_object_type)
    svc.disassociate(conn, portal_id, from_type, object_id, to_type, to_object_id, None, at)


def list_targets(
    conn: Connection,
    portal_id: int,
    object_type: str,
    object_id: str,
    to_object_type: str,
    after: str | None,
    limit: str | None,
) -> TargetPage:
    """GET (v3 and v4): one object's associated objects of a type, paged."""
    from_type, to_type = types.object_type(object_type), types.object_type(to_object_type)
    return reads.list_targets(
        conn, portal_id, from_type, object_id, to_type,
        after=after, limit=reads.parse_limit(limit),
    )

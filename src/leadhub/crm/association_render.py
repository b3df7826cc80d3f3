"""Wire shapes of the association APIs (crm-associations-v4.json, crm-objects-v3.json)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import URL

from leadhub.crm.association_reads import TargetPage
from leadhub.crm.association_types import AssocType, type_name
from leadhub.crm.associations import Pair
from leadhub.errors import LeadhubError
from leadhub.store.objects import ObjectRow
from leadhub.values import ms_to_iso


def spec_with_label(t: AssocType) -> dict[str, Any]:
    """AssociationSpecWithLabel; the unlabeled type has no label (HubSpot's null)."""
    out: dict[str, Any] = {"category": t.category, "typeId": t.type_id}
    if t.label is not None:
        out["label"] = t.label
    return out


def label_spec(t: AssocType) -> dict[str, Any]:
    """A label as the schema API lists it, with the object types it joins."""
    return {
        **spec_with_label(t),
        "fromObjectTypeId": t.from_type,
        "toObjectTypeId": t.to_type,
    }


def association_spec(t: AssocType) -> dict[str, Any]:
    """AssociationSpec: the request-side shape of a type."""
    return {"associationCategory": t.category, "associationTypeId": t.type_id}


def labels_between(pair: Pair) -> dict[str, Any]:
    """LabelsBetweenObjectPair."""
    return {
        "fromObjectTypeId": pair.from_row.object_type,
        "fromObjectId": str(pair.from_row.id),
        "toObjectTypeId": pair.to_row.object_type,
        "toObjectId": str(pair.to_row.id),
        "labels": pair.labels(),
    }


def default_associations(pair: Pair) -> list[dict[str, Any]]:
    """PublicDefaultAssociation for both directions of a pair's unlabeled type."""
    unlabeled = next(t for t in pair.types if t.unlabeled)
    a, b = str(pair.from_row.id), str(pair.to_row.id)
    return [
        {
            "from": {"id": a},
            "to": {"id": b},
            "associationSpec": association_spec(unlabeled),
        },
        {
            "from": {"id": b},
            "to": {"id": a},
            "associationSpec": {
                "associationCategory": unlabeled.category,
                "associationTypeId": unlabeled.reverse_id,
            },
        },
    ]


def _paging(page: TargetPage, url: URL | None) -> dict[str, Any] | None:
    if page.next_after is None:
        return None
    nxt: dict[str, Any] = {"after": page.next_after}
    if url is not None:
        nxt["link"] = str(url.include_query_params(after=page.next_after))
    return {"next": nxt}


def v4_page(page: TargetPage, url: URL | None) -> dict[str, Any]:
    """CollectionResponseMultiAssociatedObjectWithLabelForwardPaging."""
    body: dict[str, Any] = {
        "results": [
            {
                "toObjectId": str(t.to_id),
                "associationTypes": [spec_with_label(k) for k in t.types],
            }
            for t in page.targets
        ]
    }
    paging = _paging(page, url)
    if paging:
        body["paging"] = paging
    return body


def v4_batch_item(page: TargetPage) -> dict[str, Any]:
    """PublicAssociationMultiWithLabel: one input of a batch read."""
    body: dict[str, Any] = {"from": {"id": str(page.from_row.id)}, **v4_page(page, None)}
    body["to"] = body.pop("results")
    return body


def v3_results(page: TargetPage, url: URL | None) -> dict[str, Any]:
    """CollectionResponseAssociatedId: one row per associated object and type."""
    body: dict[str, Any] = {
        "results": [{"id": str(t.to_id), "type": k.name} for t in page.targets for k in t.types]
    }
    paging = _paging(page, url)
    if paging:
        body["paging"] = paging
    return body


def v3_object(row: ObjectRow, page: TargetPage) -> dict[str, Any]:
    """SimplePublicObjectWithAssociations for a v3 association PUT."""
    return {
        "id": str(row.id),
        "properties": {
            "hs_object_id": str(row.id),
            "createdate": ms_to_iso(row.created_at),
            "hs_lastmodifieddate": ms_to_iso(row.updated_at),
        },
        "createdAt": ms_to_iso(row.created_at),
        "updatedAt": ms_to_iso(row.updated_at),
        "archived": row.archived,
        "associations": {type_name(page.to_type): v3_results(page, None)},
    }


def standard_error(exc: LeadhubError) -> dict[str, Any]:
    """StandardError: one failed input of a batch (every field present, as the client needs)."""
    body: dict[str, Any] = {
        "status": "error",
        "category": exc.category,
        "message": exc.message,
        "context": exc.context or {},
        "errors": exc.errors,
        "links": {},
    }
    if exc.sub_category:
        body["subCategory"] = exc.sub_category
    return body


def batch(
    results: list[dict[str, Any]], errors: list[LeadhubError], started: int, completed: int
) -> dict[str, Any]:
    """A batch response, with ``errors`` and ``numErrors`` when some inputs failed."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": ms_to_iso(started),
        "completedAt": ms_to_iso(completed),
    }
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = [standard_error(e) for e in errors]
    return body

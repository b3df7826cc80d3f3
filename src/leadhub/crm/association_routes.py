"""The association faces: v3 object association routes, v4 associations, v4 labels.

Paths follow crm-objects-v3.json, crm-associations-v4.json and
crm-associations-schema-v4.json; the labels routes answer both under
``/crm/v4/associations/...`` (what hubspot-api-client calls) and
``/crm/associations/v4/...`` (what the schema file lists).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadhub.crm import association_api as api
from leadhub.crm import association_batch as batch
from leadhub.crm import association_labels as labels
from leadhub.crm import association_reads as reads
from leadhub.crm import association_render as render
from leadhub.crm.association_limit_routes import routes as limit_routes
from leadhub.crm.association_types import object_type
from leadhub.http import JSONResponse, read_json
from leadhub.util import now_ms

NO_CONTENT = 204


def _ctx(request: Request) -> Any:
    return request.app.state.leadhub


def _p(request: Request) -> dict[str, str]:
    return request.path_params  # type: ignore[no-any-return]


# ---------------------------------------------------------------- v3


async def v3_put(request: Request) -> Response:
    """PUT /crm/v3/objects/{t}/{id}/associations/{toT}/{toId}/{associationType}."""
    ctx, p = _ctx(request), _p(request)
    portal_id = await ctx.auth.portal_id(request)
    page = await ctx.db.awrite(
        api.v3_put, portal_id, p["objectType"], p["objectId"], p["toObjectType"],
        p["toObjectId"], p["associationType"], now_ms(),
    )
    return JSONResponse(render.v3_object(page.from_row, page))


async def v3_delete(request: Request) -> Response:
    """DELETE /crm/v3/objects/{t}/{id}/associations/{toT}/{toId}/{associationType}."""
    ctx, p = _ctx(request), _p(request)
    portal_id = await ctx.auth.portal_id(request)
    await ctx.db.awrite(
        api.v3_delete, portal_id, p["objectType"], p["objectId"], p["toObjectType"],
        p["toObjectId"], p["associationType"], now_ms(),
    )
    return Response(status_code=NO_CONTENT)


async def v3_list(request: Request) -> Response:
    """GET /crm/v3/objects/{t}/{id}/associations/{toT}."""
    ctx, p = _ctx(request), _p(request)
    portal_id = await ctx.auth.portal_id(request)
    q = request.query_params
    page = await ctx.db.aread_many(
        api.list_targets, portal_id, p["objectType"], p["objectId"], p["toObjectType"],
        q.get("after"), q.get("limit"),
    )
    return JSONResponse(render.v3_results(page, request.url))


# ---------------------------------------------------------------- v4 basic


async def v4_put(request: Request) -> Response:
    """PUT /crm/v4/objects/{t}/{id}/associations/{toT}/{toId} with a list of types."""
    ctx, p = _ctx(request), _p(request)
    portal_id = await ctx.auth.portal_id(request)
    body = await read_json(request)
    pair = await ctx.db.awrite(
        api.v4_put, portal_id, p["objectType"], p["objectId"], p["toObjectType"],
        p["toObjectId"], body, now_ms(),
    )
    return JSONResponse(render.labels_between(pair), status_code=201)


async def v4_put_default(request: Request) -> Response:
    """PUT /crm/v4/objects/{t}/{id}/associations/default/{toT}/{toId}."""
    ctx, p = _ctx(request), _p(request)
    portal_id = await ctx.auth.portal_id(request)
    started = now_ms()
    pair = await ctx.db.awrite(
        api.v4_put_default, portal_id, p["fromObjectType"], p["fromObjectId"],
        p["toObjectType"], p["toObjectId"], started,
    )
    body = render.batch(render.default_associations(pair), [], started, now_ms())
    return JSONResponse(body)


async def v4_delete(request: Request) -> Response:
    """DELETE /crm/v4/objects/{t}/{id}/associations/{toT}/{toId}: every type."""
    ctx, p = _ctx(request), _p(request)
    portal_id = await ctx.auth.portal_id(request)
    await ctx.db.awrite(
        api.v4_delete, portal_id, p["objectType"], p["objectId"], p["toObjectType"],
        p["toObjectId"], now_ms(),
    )
    return Response(status_code=NO_CONTENT)


async def v4_list(request: Request) -> Response:
    """GET /crm/v4/objects/{t}/{id}/associations/{toT}?limit=&after=."""
    ctx, p = _ctx(request), _p(request)
    portal_id = await ctx.auth.portal_id(request)
    q = request.query_params
    page = await ctx.db.aread_many(
        api.list_targets, portal_id, p["objectType"], p["objectId"], p["toObjectType"],
        q.get("after"), q.get("limit"),
    )
    return JSONResponse(render.v4_page(page, request.url))


# ---------------------------------------------------------------- v4 batch


async def _batch_write(request: Request, fn: Any) -> tuple[batch.BatchWrite, int]:
    ctx, p = _ctx(request), _p(request)
    portal_id = await ctx.auth.portal_id(request)
    from_type, to_type = object_type(p["fromObjectType"]), object_type(p["toObjectType"])
    body = await read_json(request)
    started = now_ms()
    result = await ctx.db.awrite(fn, portal_id, from_type, to_type, body, started)
    return result, started


async def batch_create(request: Request) -> Response:
    """POST /crm/v4/associations/{from}/{to}/batch/create: 201, or 207 with errors."""
    result, started = await _batch_write(request, batch.batch_create)
    results = [render.labels_between(pair) for pair in result.pairs]
    body = render.batch(results, result.errors, started, now_ms())
    return JSONResponse(body, status_code=207 if result.errors else 201)


async def batch_default(request: Request) -> Response:
    """POST /crm/v4/associations/{from}/{to}/batch/associate/default (200, errors inline)."""
    result, started = await _batch_write(request, batch.batch_default)
    results = [a for pair in result.pairs for a in render.default_associations(pair)]
    return JSONResponse(render.batch(results, result.errors, started, now_ms()))


async def batch_archive(request: Request) -> Response:
    """POST /crm/v4/associations/{from}/{to}/batch/archive: 204."""
    await _batch_write(request, batch.batch_archive)
    return Response(status_code=NO_CONTENT)


async def batch_archive_labels(request: Request) -> Response:
    """POST /crm/v4/associations/{from}/{to}/batch/labels/archive: 204."""
    await _batch_write(request, batch.batch_archive_labels)
    return Response(status_code=NO_CONTENT)


async def batch_read(request: Request) -> Response:
    """POST /crm/v4/associations/{from}/{to}/batch/read: 200, or 207 with errors."""
    ctx, p = _ctx(request), _p(request)
    portal_id = await ctx.auth.portal_id(request)
    from_type, to_type = object_type(p["fromObjectType"]), object_type(p["toObjectType"])
    inputs = batch.inputs_of(await read_json(request), batch.MAX_READ_INPUTS)
    started = now_ms()
    result = await ctx.db.aread_many(reads.batch_read, portal_id, from_type, to_type, inputs)
    results = [render.v4_batch_item(page) for page in result.pages]
    body = render.batch(results, result.errors, started, now_ms())
    return JSONResponse(body, status_code=207 if result.errors else 200)


# ---------------------------------------------------------------- v4 labels


def _pair(request: Request) -> tuple[str, str]:
    p = _p(request)
    return object_type(p["fromObjectType"]), object_type(p["toObjectType"])


async def labels_list(request: Request) -> Response:
    """GET .../{from}/{to}/labels: every type from one object type to another."""
    ctx = _ctx(request)
    portal_id = await ctx.auth.portal_id(request)
    found = await ctx.db.aread(labels.list_labels, portal_id, *_pair(request))
    return JSONResponse({"results": [render.label_spec(t) for t in found]})


async def labels_create(request: Request) -> Response:
    """POST .../{from}/{to}/labels: a custom label and its reverse."""
    ctx = _ctx(request)
    portal_id = await ctx.auth.portal_id(request)
    from_type, to_type = _pair(request)
    body = await read_json(request)
    created = await ctx.db.awrite(
        labels.create_label, portal_id, from_type, to_type, body, now_ms()
    )
    return JSONResponse({"results": [render.label_spec(t) for t in created]})


async def labels_update(request: Request) -> Response:
    """PUT .../{from}/{to}/labels: rename a custom label (204)."""
    ctx = _ctx(request)
    portal_id = await ctx.auth.portal_id(request)
    from_type, to_type = _pair(request)
    body = await read_json(request)
    await ctx.db.awrite(labels.update_label, portal_id, from_type, to_type, body)
    return Response(status_code=NO_CONTENT)


async def labels_delete(request: Request) -> Response:
    """DELETE .../{from}/{to}/labels/{associationTypeId} (204)."""
    ctx = _ctx(request)
    portal_id = await ctx.auth.portal_id(request)
    from_type, to_type = _pair(request)
    await ctx.db.awrite(
        labels.delete_label, portal_id, from_type, to_type, _p(request)["associationTypeId"]
    )
    return Response(status_code=NO_CONTENT)


V3 = "/crm/v3/objects/{objectType}/{objectId}/associations/{toObjectType}"
V4 = "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}"
V4_DEFAULT = (
    "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/"
    "{toObjectType}/{toObjectId}"
)
BATCH = "/crm/v4/associations/{fromObjectType}/{toObjectType}/batch"
LABEL_PREFIXES = (
    "/crm/v4/associations/{fromObjectType}/{toObjectType}/labels",
    "/crm/associations/v4/{fromObjectType}/{toObjectType}/labels",
)

# Limits first: their literal path segments must win over the label routes' parameters.
routes = [
    *limit_routes,
    Route(V3, v3_list, methods=["GET"]),
    Route(V3 + "/{toObjectId}/{associationType}", v3_put, methods=["PUT"]),
    Route(V3 + "/{toObjectId}/{associationType}", v3_delete, methods=["DELETE"]),
    Route(V4_DEFAULT, v4_put_default, methods=["PUT"]),
    Route(V4, v4_list, methods=["GET"]),
    Route(V4 + "/{toObjectId}", v4_put, methods=["PUT"]),
    Route(V4 + "/{toObjectId}", v4_delete, methods=["DELETE"]),
    Route(BATCH + "/create", batch_create, methods=["POST"]),
    Route(BATCH + "/read", batch_read, methods=["POST"]),
    Route(BATCH + "/archive", batch_archive, methods=["POST"]),
    Route(BATCH + "/associate/default", batch_default, methods=["POST"]),
    Route(BATCH + "/labels/archive", batch_archive_labels, methods=["POST"]),
]
for _prefix in LABEL_PREFIXES:
    routes += [
        Route(_prefix, labels_list, methods=["GET"]),
        Route(_prefix, labels_create, methods=["POST"]),
        Route(_prefix, labels_update, methods=["PUT"]),
        Route(_prefix + "/{associationTypeId}", labels_delete, methods=["DELETE"]),
    ]

__all__ = ["routes"]

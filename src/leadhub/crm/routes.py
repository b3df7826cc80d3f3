"""The CRM v3 objects face: /crm/v3/objects/{objectType} (leads, contacts, companies)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadhub.crm import batch, fastread, merge, render, search
from leadhub.crm import objects as svc
from leadhub.crm.objects import Want
from leadhub.crm.params import array, boolean, page_window, paging_next
from leadhub.crm.types import object_type
from leadhub.crm_types import TYPE_BY_NAME
from leadhub.errors import NotFound
from leadhub.http import JSONResponse, read_json, without_credential
from leadhub.store.objects import Change
from leadhub.util import now_ms

PREFIX = "/crm/v3/objects/{objectType}"


def _ctx(request: Request) -> Any:
    return request.app.state.leadhub


def _change() -> Change:
    return Change(now_ms(), "API", "crm-v3")


def _want(request: Request) -> Want:
    params = request.query_params
    # "Any specified associations that don't exist will not be returned" (leads guide).
    names = array(params, "associations")
    assoc = [TYPE_BY_NAME[n.lower()] for n in names if n.lower() in TYPE_BY_NAME]
    return Want(array(params, "properties"), array(params, "propertiesWithHistory"), assoc)


async def _start(request: Request) -> tuple[Any, int, str]:
    ctx = _ctx(request)
    portal_id = await ctx.auth.portal_id(request)
    return ctx, portal_id, object_type(request.path_params["objectType"])


async def list_objects(request: Request) -> Response:
    """GET /crm/v3/objects/{objectType}: a page in id order, ``paging.next`` when there is more."""
    ctx, portal_id, type_id = await _start(request)
    params = request.query_params
    limit, after = page_window(params)
    if ctx.db.point is not None:  # PostgreSQL: a page that is one statement
        answer = await ctx.db.point.run(
            fastread.page_pg, portal_id, type_id, without_credential(params.multi_items()),
            ctx.settings.base_url,
        )
        if answer is not None:
            return Response(answer, media_type=JSONResponse.media_type)
    views, next_after = await ctx.db.aread_many(
        svc.list_objects, portal_id, type_id, _want(request), limit=limit, after=after,
        archived=boolean(params, "archived"),
    )
    body: dict[str, Any] = {"results": [render.obj(v) for v in views]}
    if next_after is not None:
        # The last value of a repeated parameter, in the place of its first.
        given = dict(params.multi_items())
        body["paging"] = paging_next(ctx.settings.base_url, type_id, given.items(), next_after)
    return JSONResponse(body)


async def create_object(request: Request) -> Response:
    """POST /crm/v3/objects/{objectType} (201)."""
    ctx, portal_id, type_id = await _start(request)
    body = await read_json(request)
    view = await ctx.db.awrite(svc.create_object, portal_id, type_id, body, _change())
    return JSONResponse(render.obj(view), status_code=201)


async def get_object(request: Request) -> Response:
    """GET /crm/v3/objects/{objectType}/{objectId}, by id or ``idProperty``."""
    ctx, portal_id, type_id = await _start(request)
    params = request.query_params
    if ctx.db.point is not None:  # PostgreSQL: a read that is one statement
        body = await ctx.db.point.run(
            fastread.read_pg, portal_id, type_id, request.path_params["objectId"],
            without_credential(params.multi_items()),
        )
        if body is not None:
            return Response(body, media_type=JSONResponse.media_type)
    view = await ctx.db.aread(
        svc.get_object, portal_id, type_id, request.path_params["objectId"], _want(request),
        id_property=params.get("idProperty") or None, archived=boolean(params, "archived"),
    )
    return JSONResponse(render.obj(view))


async def update_object(request: Request) -> Response:
    """PATCH /crm/v3/objects/{objectType}/{objectId}, by id or ``idProperty``."""
    ctx, portal_id, type_id = await _start(request)
    body = await read_json(request)
    view = await ctx.db.awrite(
        svc.update_object, portal_id, type_id, request.path_params["objectId"], body, _change(),
        id_property=request.query_params.get("idProperty") or None,
    )
    return JSONResponse(render.obj(view))


async def archive_object(request: Request) -> Response:
    """DELETE /crm/v3/objects/{objectType}/{objectId} (archive, 204)."""
    ctx, portal_id, type_id = await _start(request)
    await ctx.db.awrite(
        svc.archive_object, portal_id, type_id, request.path_params["objectId"], _change()
    )
    return Response(status_code=204)


async def search_objects(request: Request) -> Response:
    """POST /crm/v3/objects/{objectType}/search."""
    ctx, portal_id, type_id = await _start(request)
    body = await read_json(request)
    found = await ctx.db.aread_many(search.search, portal_id, type_id, body)
    out: dict[str, Any] = {"total": found.total, "results": [render.obj(v) for v in found.results]}
    if found.after is not None:
        out["paging"] = {"next": {"after": str(found.after)}}
    return JSONResponse(out)


async def batch_action(request: Request) -> Response:
    """POST /crm/v3/objects/{objectType}/batch/{read|create|update|upsert|archive}."""
    ctx, portal_id, type_id = await _start(request)
    action = request.path_params["action"]
    if action not in ("read", "create", "update", "upsert", "archive"):
        raise NotFound(f"no route for POST {request.url.path}")
    body = await read_json(request)
    if action == "archive":
        await ctx.db.awrite(batch.batch_archive, portal_id, type_id, body, _change())
        return Response(status_code=204)
    if action == "read":
        result = await ctx.db.aread_many(
            batch.batch_read, portal_id, type_id, body,
            archived=boolean(request.query_params, "archived"),
        )
    else:
        fn = {"create": batch.batch_create, "update": batch.batch_update,
              "upsert": batch.batch_upsert}[action]
        result = await ctx.db.awrite(fn, portal_id, type_id, body, _change())
    out = render.batch(result.started_at, now_ms(), [render.obj(v) for v in result.results],
                       result.errors)
    status = 207 if result.errors else (201 if action == "create" else 200)
    return JSONResponse(out, status_code=status)


async def merge_objects(request: Request) -> Response:
    """POST /crm/v3/objects/{objectType}/merge."""
    ctx, portal_id, type_id = await _start(request)
    body = await read_json(request)
    view = await ctx.db.awrite(merge.merge, portal_id, type_id, body, _change())
    return JSONResponse(render.obj(view))


async def gdpr_delete(request: Request) -> Response:
    """POST /crm/v3/objects/{objectType}/gdpr-delete (204)."""
    ctx, portal_id, type_id = await _start(request)
    body = await read_json(request)
    await ctx.db.awrite(merge.gdpr_delete, portal_id, type_id, body, _change())
    return Response(status_code=204)


routes = [
    Route(PREFIX, list_objects, methods=["GET"]),
    Route(PREFIX, create_object, methods=["POST"]),
    Route(PREFIX + "/search", search_objects, methods=["POST"]),
    Route(PREFIX + "/batch/{action}", batch_action, methods=["POST"]),
    Route(PREFIX + "/merge", merge_objects, methods=["POST"]),
    Route(PREFIX + "/gdpr-delete", gdpr_delete, methods=["POST"]),
    Route(PREFIX + "/{objectId}", get_object, methods=["GET"]),
    Route(PREFIX + "/{objectId}", update_object, methods=["PATCH"]),
    Route(PREFIX + "/{objectId}", archive_object, methods=["DELETE"]),
]

"""The CRM v3 properties face: /crm/v3/properties/{objectType} and its groups."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadhub.crm import properties as svc
from leadhub.crm import property_batch, render
from leadhub.crm.params import array, boolean
from leadhub.crm.types import object_type
from leadhub.errors import NotFound
from leadhub.http import JSONResponse, read_json
from leadhub.util import now_ms

PREFIX = "/crm/v3/properties/{objectType}"


async def _start(request: Request) -> tuple[Any, int, str]:
    ctx = request.app.state.leadhub
    portal_id = await ctx.auth.portal_id(request)
    return ctx, portal_id, object_type(request.path_params["objectType"])


async def list_properties(request: Request) -> Response:
    """GET /crm/v3/properties/{objectType} (``archived``, ``properties`` to pick names)."""
    ctx, portal_id, type_id = await _start(request)
    found = await ctx.db.aread(
        svc.list_properties, portal_id, type_id,
        archived=boolean(request.query_params, "archived"),
    )
    names = array(request.query_params, "properties")
    if names:
        found = [p for p in found if p["name"] in names]
    return JSONResponse({"results": found})


async def create_property(request: Request) -> Response:
    """POST /crm/v3/properties/{objectType} (201)."""
    ctx, portal_id, type_id = await _start(request)
    body = await read_json(request)
    created = await ctx.db.awrite(svc.create_property, portal_id, type_id, body, now_ms())
    return JSONResponse(created, status_code=201)


async def get_property(request: Request) -> Response:
    """GET /crm/v3/properties/{objectType}/{propertyName}."""
    ctx, portal_id, type_id = await _start(request)
    found = await ctx.db.aread(
        svc.get_property, portal_id, type_id, request.path_params["propertyName"],
        archived=boolean(request.query_params, "archived"),
    )
    return JSONResponse(found)


async def update_property(request: Request) -> Response:
    """PATCH /crm/v3/properties/{objectType}/{propertyName}."""
    ctx, portal_id, type_id = await _start(request)
    body = await read_json(request)
    updated = await ctx.db.awrite(
        svc.update_property, portal_id, type_id, request.path_params["propertyName"], body,
        now_ms(),
    )
    return JSONResponse(updated)


async def archive_property(request: Request) -> Response:
    """DELETE /crm/v3/properties/{objectType}/{propertyName} (204)."""
    ctx, portal_id, type_id = await _start(request)
    await ctx.db.awrite(
        svc.archive_property, portal_id, type_id, request.path_params["propertyName"], now_ms()
    )
    return Response(status_code=204)


async def batch_action(request: Request) -> Response:
    """POST /crm/v3/properties/{objectType}/batch/{read|create|archive}."""
    ctx, portal_id, type_id = await _start(request)
    action = request.path_params["action"]
    if action not in ("read", "create", "archive"):
        raise NotFound(f"no route for POST {request.url.path}")
    body = await read_json(request)
    started = now_ms()
    if action == "archive":
        await ctx.db.awrite(property_batch.batch_archive, portal_id, type_id, body, started)
        return Response(status_code=204)
    if action == "read":
        results, errors = await ctx.db.aread(property_batch.batch_read, portal_id, type_id, body)
    else:
        results, errors = await ctx.db.awrite(
            property_batch.batch_create, portal_id, type_id, body, started
        )
    status = 207 if errors else (201 if action == "create" else 200)
    return JSONResponse(render.batch(started, now_ms(), results, errors), status_code=status)


async def list_groups(request: Request) -> Response:
    """GET /crm/v3/properties/{objectType}/groups."""
    ctx, portal_id, type_id = await _start(request)
    return JSONResponse({"results": await ctx.db.aread(svc.list_groups, portal_id, type_id)})


async def create_group(request: Request) -> Response:
    """POST /crm/v3/properties/{objectType}/groups (201)."""
    ctx, portal_id, type_id = await _start(request)
    body = await read_json(request)
    created = await ctx.db.awrite(svc.create_group, portal_id, type_id, body)
    return JSONResponse(created, status_code=201)


async def get_group(request: Request) -> Response:
    """GET /crm/v3/properties/{objectType}/groups/{groupName}."""
    ctx, portal_id, type_id = await _start(request)
    found = await ctx.db.aread(svc.get_group, portal_id, type_id,
                               request.path_params["groupName"])
    return JSONResponse(found)


async def update_group(request: Request) -> Response:
    """PATCH /crm/v3/properties/{objectType}/groups/{groupName}."""
    ctx, portal_id, type_id = await _start(request)
    body = await read_json(request)
    updated = await ctx.db.awrite(svc.update_group, portal_id, type_id,
                                  request.path_params["groupName"], body)
    return JSONResponse(updated)


async def archive_group(request: Request) -> Response:
    """DELETE /crm/v3/properties/{objectType}/groups/{groupName} (204)."""
    ctx, portal_id, type_id = await _start(request)
    await ctx.db.awrite(svc.archive_group, portal_id, type_id, request.path_params["groupName"])
    return Response(status_code=204)


routes = [
    Route(PREFIX, list_properties, methods=["GET"]),
    Route(PREFIX, create_property, methods=["POST"]),
    Route(PREFIX + "/batch/{action}", batch_action, methods=["POST"]),
    Route(PREFIX + "/groups", list_groups, methods=["GET"]),
    Route(PREFIX + "/groups", create_group, methods=["POST"]),
    Route(PREFIX + "/groups/{groupName}", get_group, methods=["GET"]),
    Route(PREFIX + "/groups/{groupName}", update_group, methods=["PATCH"]),
    Route(PREFIX + "/groups/{groupName}", archive_group, methods=["DELETE"]),
    Route(PREFIX + "/{propertyName}", get_property, methods=["GET"]),
    Route(PREFIX + "/{propertyName}", update_property, methods=["PATCH"]),
    Route(PREFIX + "/{propertyName}", archive_property, methods=["DELETE"]),
]

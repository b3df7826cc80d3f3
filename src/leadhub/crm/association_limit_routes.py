"""The association limits face (schema API definition configurations).

Answers under ``/crm/v4/associations/definitions/configurations`` (what
hubspot-api-client calls) and ``/crm/associations/v4/definitions/configurations``
(the paths of crm-associations-schema-v4.json).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadhub.crm import association_limits as limits
from leadhub.crm import association_render as render
from leadhub.crm.association_limits import Limit
from leadhub.crm.association_types import object_type
from leadhub.http import JSONResponse, read_json
from leadhub.util import now_ms


def _config(limit: Limit) -> dict[str, Any]:
    """PublicAssociationDefinitionUserConfiguration."""
    out: dict[str, Any] = {"category": limit.type.category, "typeId": limit.type.type_id}
    if limit.type.label is not None:
        out["label"] = limit.type.label
    if limit.most is not None:
        out["userEnforcedMaxToObjectIds"] = limit.most
    return out


def _update_result(limit: Limit) -> dict[str, Any]:
    """PublicAssociationDefinitionConfigurationUpdateResult."""
    return {
        "category": limit.type.category,
        "typeId": limit.type.type_id,
        "userEnforcedMaxToObjectIds": limit.most,
    }


async def _start(request: Request) -> tuple[Any, int, str, str]:
    ctx = request.app.state.leadhub
    portal_id = await ctx.auth.portal_id(request)
    p = request.path_params
    return ctx, portal_id, object_type(p["fromObjectType"]), object_type(p["toObjectType"])


async def list_all(request: Request) -> Response:
    """GET .../configurations/all: every type with a limit set."""
    ctx = request.app.state.leadhub
    portal_id = await ctx.auth.portal_id(request)
    found = await ctx.db.aread(limits.list_all, portal_id)
    return JSONResponse({"results": [_config(limit) for limit in found]})


async def list_between(request: Request) -> Response:
    """GET .../configurations/{from}/{to}: the pair's types and their limits."""
    ctx, portal_id, from_type, to_type = await _start(request)
    found = await ctx.db.aread(limits.list_between, portal_id, from_type, to_type)
    return JSONResponse({"results": [_config(limit) for limit in found]})


async def _set(request: Request, create: bool) -> Response:
    ctx, portal_id, from_type, to_type = await _start(request)
    body = await read_json(request)
    started = now_ms()
    out = await ctx.db.awrite(
        limits.set_limits, portal_id, from_type, to_type, body, started, create=create
    )
    shape = _config if create else _update_result
    payload = render.batch([shape(x) for x in out.results], out.errors, started, now_ms())
    return JSONResponse(payload, status_code=207 if out.errors else (201 if create else 200))


async def batch_create(request: Request) -> Response:
    """POST .../batch/create: 201, or 207 with per-input errors."""
    return await _set(request, create=True)


async def batch_update(request: Request) -> Response:
    """POST .../batch/update: 200, or 207 with per-input errors."""
    return await _set(request, create=False)


async def batch_purge(request: Request) -> Response:
    """POST .../batch/purge: 204."""
    ctx, portal_id, from_type, to_type = await _start(request)
    body = await read_json(request)
    await ctx.db.awrite(limits.purge, portal_id, from_type, to_type, body)
    return Response(status_code=204)


routes: list[Route] = []
for _prefix in (
    "/crm/v4/associations/definitions/configurations",
    "/crm/associations/v4/definitions/configurations",
):
    _pair = _prefix + "/{fromObjectType}/{toObjectType}"
    routes += [
        Route(_prefix + "/all", list_all, methods=["GET"]),
        Route(_pair, list_between, methods=["GET"]),
        Route(_pair + "/batch/create", batch_create, methods=["POST"]),
        Route(_pair + "/batch/update", batch_update, methods=["POST"]),
        Route(_pair + "/batch/purge", batch_purge, methods=["POST"]),
    ]

__all__ = ["routes"]

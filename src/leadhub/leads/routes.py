"""The v1 Leads API face: GET lead, GET list, PUT lead (seeds 000, 001, 003)."""

from __future__ import annotations

import re
from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadhub.errors import ValidationError
from leadhub.http import JSONResponse, read_json
from leadhub.leads import update
from leadhub.leads.params import parse_list
from leadhub.leads.render import render
from leadhub.store.objects import Change
from leadhub.util import now_ms

# hubspot3's LeadsClient.retrieve_lead(guid) formats its *args tuple into the
# path (/leads/v1/lead/('<guid>',)); accept that spelling of a guid too.
_TUPLE_GUID = re.compile(r"^\('([^']*)',?\)$")


def _ctx(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.leadhub


def _path_guid(request: Request) -> str:
    guid = str(request.path_params.get("guid", "")).strip()
    match = _TUPLE_GUID.match(guid)
    return match.group(1).strip() if match else guid


async def get_lead(request: Request) -> Response:
    """GET /leads/v1/lead/{guid}, or by email / conversionEventGuid / userToken."""
    ctx = _ctx(request)
    portal_id = await ctx.auth.portal_id(request)
    guid = _path_guid(request)
    params = request.query_params
    if guid:
        body = await ctx.docs.by_guid(portal_id, guid)
    else:
        criteria = {
            "email": params.get("email"),
            "conversion_event_guid": params.get("conversionEventGuid"),
            "user_token": params.get("userToken"),
        }
        if not any(criteria.values()):
            raise ValidationError(
                "give a lead guid in the URL, or one of email, conversionEventGuid, userToken"
            )
        body = await ctx.docs.find(portal_id, **criteria)
    return Response(body, media_type=JSONResponse.media_type)


async def list_leads(request: Request) -> Response:
    """GET /leads/v1/list: search, sort, time windows, filters, paging, guids."""
    ctx = _ctx(request)
    portal_id = await ctx.auth.portal_id(request)
    req, guids = parse_list(portal_id, request.query_params, request.query_params.multi_items())
    body = await ctx.docs.page(req.query, with_events=not req.exclude_events, guids=guids)
    return Response(body, media_type=JSONResponse.media_type)


async def put_lead(request: Request) -> Response:
    """PUT /leads/v1/lead/{guid}: update editable fields, close, reopen, delete, restore."""
    ctx = _ctx(request)
    portal_id = await ctx.auth.portal_id(request)
    body = await read_json(request)
    guid = _path_guid(request)
    change = Change(now_ms(), "API", "leads-v1")
    await ctx.db.awrite(
        update.update,
        portal_id,
        guid,
        body,
        change,
        partial(render, base_url=ctx.settings.base_url),
    )
    return Response(status_code=200)


routes = [
    Route("/leads/v1/lead/{guid}", get_lead, methods=["GET"]),
    Route("/leads/v1/lead/{guid}/", get_lead, methods=["GET"]),
    Route("/leads/v1/lead", get_lead, methods=["GET"]),
    Route("/leads/v1/lead/", get_lead, methods=["GET"]),
    Route("/leads/v1/lead/{guid}", put_lead, methods=["PUT"]),
    Route("/leads/v1/lead/{guid}/", put_lead, methods=["PUT"]),
    Route("/leads/v1/list", list_leads, methods=["GET"]),
    Route("/leads/v1/list/", list_leads, methods=["GET"]),
]

"""The fast lane of the v1 GET face: a stored lead document answered below the router.

``GET /leads/v1/lead/{guid}`` and ``GET /leads/v1/lead?email=...`` are the
hottest calls of the API. When the request carries a credential the server
already knows and the lead's document is stored, this ASGI middleware
answers it with one indexed lookup, without building a Starlette request,
routing or a response object; that overhead is about half the cost of such
a call. Everything else (no document yet, an unknown credential, any other
parameter, any error) goes on to the ordinary face in routes.py, which gives
the same answer the slow way, so the two cannot disagree on anything but
speed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX = "/leads/v1/lead"
_CONTENT_TYPE = (b"content-type", b"application/json;charset=utf-8")
_CREDENTIAL_PARAMS = ("access_token", "hapikey")


class V1ReadLane:
    """Answer v1 GETs of leads with stored documents; pass everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith(PREFIX):
                body = self._answer(scope, path[len(PREFIX):])
                if body is not None:
                    await send({
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [_CONTENT_TYPE, (b"content-length", b"%d" % len(body))],
                    })
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope, rest: str) -> bytes | None:
        ctx = scope["app"].state.leadhub if "app" in scope else None
        if ctx is None or not ctx.docs.enabled:
            return None
        params = parse_qsl(scope["query_string"].decode("latin-1")) if scope["query_string"] else []
        portal_id = _portal(ctx, scope, params)
        if portal_id is None:
            return None
        others = [(k, v) for k, v in params if k not in _CREDENTIAL_PARAMS]
        guid = rest.strip("/")
        if rest[:1] == "/" and guid and "/" not in guid and "(" not in guid:
            return None if others else ctx.docs.stored_by_guid(portal_id, unquote(guid))
        if not guid and len(others) == 1 and others[0][0] == "email" and others[0][1]:
            return ctx.docs.stored_by_email(portal_id, others[0][1])
        return None


def _portal(ctx: Any, scope: Scope, params: list[tuple[str, str]]) -> int | None:
    """The portal of an already known credential, in HubSpot's order of precedence."""
    token = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer " and text[7:].strip():
                token = text[7:].strip()
            break
    if token is None:
        found = dict(params)
        token = found.get("access_token") or found.get("hapikey")
    return ctx.auth.known(token) if token else None

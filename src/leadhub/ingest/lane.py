"""The fast lane of form posts: a valid post to a known form, accepted in front of everything.

``POST /?app=leaddirector&FormName=X`` is what web forms send, many at a
time. When its target (portal and form) was resolved moments ago
(``TargetCache``), this ASGI layer checks, stores and answers the post
itself, with the face's own functions, in front of Starlette's whole stack.
Like the v1 read lane (leads/fastlane.py) it answers only where the guard,
the rate limiter and the face would have given the same answer:

- no NUL character in the path or query string (the guard's 400),
- no credential, or one whose portal is known to have no rate limits right
  now, or one the store did not know moments ago (the rate limiter passes
  those on untouched),
- the app, content type, charset, form name and every field are valid, and
  the body is within the size limit.

Anything else goes on to the ordinary stack, which gives the same answer the
slow way; a body already read is handed on as it was received. Once a post
is handed to the group committer, its outcome is answered here as the face
answers it.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadhub.errors import LeadhubError, StoreUnavailable
from leadhub.guard import has_nul
from leadhub.http import MAX_BODY_BYTES, error_response, query_pairs
from leadhub.ingest.face import (
    charset_of,
    check_post,
    form_error,
    parse_body,
    store,
    success_text,
)
from leadhub.ingest.fields import validate
from leadhub.ratelimit import PortalLimits
from leadhub.store.db import is_unavailable

log = logging.getLogger("leadhub.ingest")

_CONTENT_TYPE = (b"content-type", b"text/plain; charset=utf-8")


class FormPostLane:
    """Accept form posts to known forms the fast way; pass everything else on."""

    def __init__(self, app: ASGIApp, ctx: Any, ingest: Any, limits: PortalLimits) -> None:
        self.app = app
        self.ctx = ctx
        self.ingest = ingest
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "POST":
            try:
                form = self._target(scope)
            except Exception:  # noqa: BLE001 - the ordinary way answers or renders it
                log.debug("form lane declined", exc_info=True)
                form = None
            if form is not None:
                await self._accept(scope, receive, send, *form)
                return
        await self.app(scope, receive, send)

    def _target(self, scope: Scope) -> tuple[Any, str] | None:
        """The form and charset of a post the lane may take, before reading its body."""
        query: bytes = scope["query_string"]
        if has_nul("/", query):
            return None
        host = content_type = authorization = None
        for name, value in scope["headers"]:
            if name == b"host" and host is None:
                host = value.decode("latin-1")
            elif name == b"content-type" and content_type is None:
                content_type = value.decode("latin-1")
            elif name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
        params = dict(query_pairs(query))  # as QueryParams: the last of a repeated name
        if not self._unlimited(authorization, params):
            return None
        try:
            form_name = check_post(params, content_type)
            charset = charset_of(content_type)
        except LeadhubError:
            return None
        targets = self.ingest.targets
        target = targets.get(targets.key(host, params.get("portalId"), form_name))
        if target is None or target.form is None:
            return None
        return target.form, charset

    def _unlimited(self, authorization: str | None, params: dict[str, str]) -> bool:
        """Whether the rate limiter would pass this request on untouched, for sure."""
        token = None
        if authorization is not None:
            if authorization[:7].lower() == "bearer " and authorization[7:].strip():
                token = authorization[7:].strip()
        if token is None:
            token = params.get("access_token") or params.get("hapikey") or None
        if token is None:
            return True
        auth = self.ctx.auth
        portal_id = auth.known(token)
        if portal_id is None:
            return bool(auth.recently_unknown(token))
        return self.limits.surely_off(portal_id)

    async def _accept(
        self, scope: Scope, receive: Receive, send: Send, form: Any, charset: str
    ) -> None:
        raw, more, extra = await _read_body(scope, receive)
        fields = None
        if not more and extra is None and len(raw) <= MAX_BODY_BYTES:
            try:
                fields = validate(parse_body(raw, charset))
            except LeadhubError:
                fields = None
        if fields is None:
            await self.app(scope, _replay(raw, more, extra, receive), send)
            return
        try:
            guid = await store(self.ingest, form, fields)
        except LeadhubError as exc:
            await form_error(exc)(scope, receive, send)
            return
        except Exception as exc:
            if not is_unavailable(exc):  # as the application's handlers render it
                log.exception("unhandled error on POST /")
                await error_response(LeadhubError("an internal error occurred"))(
                    scope, receive, send
                )
                return
            log.warning("form post refused, the store is unavailable: %s",
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            await form_error(StoreUnavailable())(scope, receive, send)
            return
        body = success_text(guid).encode()
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"%d" % len(body)), _CONTENT_TYPE],
        })
        await send({"type": "http.response.body", "body": body})


async def _read_body(scope: Scope, receive: Receive) -> tuple[bytes, bool, Message | None]:
    """The body as far as the lane reads it: (bytes, more to come, a message that is not
    body). It stops past MAX_BODY_BYTES, leaving the refusal to the face."""
    declared = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = value
            break
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return b"", True, None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True, message
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = bool(message.get("more_body", False))
        if not more or size > MAX_BODY_BYTES:
            return b"".join(chunks), more, None


def _replay(raw: bytes, more: bool, extra: Message | None, receive: Receive) -> Receive:
    """A receive that gives the ordinary stack the body the lane already read, then the rest."""
    pending: list[Message] = [{"type": "http.request", "body": raw, "more_body": more}]
    if extra is not None:
        pending.append(extra)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay

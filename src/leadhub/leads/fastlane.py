"""The fast lane of point reads: answered in front of everything.

``GET /leads/v1/lead/{guid}``, ``GET /leads/v1/lead?email=...`` (and
``?conversionEventGuid=...``) and ``GET /crm/v3/objects/{type}/{id}`` are
the hottest calls of the API (with ``GET /crm/v3/objects/{type}``, the
official client's ``get_page``, whose objects are read the same way, and
``GET /leads/v1/list?guids[0]={guid}``, how hubspot3 and hapipy get a lead:
the stored document of that lead if it is not deleted). When
the request carries a credential the server already knows and the lead
exists (v1: its stored document, or else its rows read and rendered in one
read transaction, leads/documents.py) or the object is live and only
properties are asked for, by default or by name (v3, crm/fastread.py), this ASGI layer
answers it on the event loop's own connection, in front of Starlette's
whole stack: no request object, no middleware, no routing, no response
object. While reads wait for the disk (a store larger than the memory that
caches it), it answers them the same way from worker threads, each on a
connection of its own (leads/coldreads.py ``ColdReads``). It sits outside the error
handler, the NUL guard and the rate limiter, so it answers only where each
of them would have let the request through untouched:

- no NUL character in the path or query string (the guard's 400),
- the portal is known to have no rate limits right now (no counting and no
  headers to add; ``PortalLimits.surely_off``),
- the lookup itself raised nothing (an error goes the ordinary way, which
  answers it or renders it like any other).

Everything else (no such lead, a lead too long to read on the event loop,
an unknown credential, any other parameter) goes on to the ordinary stack and faces, which give
the same answer the slow way, so the two cannot disagree on anything but
speed.

On PostgreSQL the same lane answers the v1 reads by guid and by email,
hubspot3's list of one guid and the v3 GET by id (not pages, nor lookups by
conversion event), under the same conditions: each read waits in
store/pgbatch.py with the others of its pass of the event loop and goes out
with them in one statement, and a lead is answered from its stored document
or else rendered from its rows (``PgDocuments.by_guid``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from leadhub.crm import fastread
from leadhub.guard import has_nul
from leadhub.http import query_pairs, without_credential
from leadhub.leads import service
from leadhub.ratelimit import PortalLimits

log = logging.getLogger("leadhub")

PREFIX = "/leads/v1/lead"
LIST_PATHS = frozenset(("/leads/v1/list", "/leads/v1/list/"))
_CONTENT_TYPE = (b"content-type", b"application/json;charset=utf-8")


class V1ReadLane:
    """Answer point reads the fast way where it gives the same answer; pass the rest on."""

    def __init__(self, app: ASGIApp, ctx: Any, limits: PortalLimits) -> None:
        self.app = app
        self.ctx = ctx
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            v1 = path.startswith(PREFIX)
            if v1 or path.startswith(fastread.PREFIX) or path in LIST_PATHS:
                body = None
                try:
                    if self.ctx.docs.enabled:
                        cold = self.ctx.docs.cold
                        body = (
                            cold.inline_read(self._answer, scope, path) if cold.inline()
                            else await cold.in_thread(self._answer, scope, path)
                        )
                    elif self.ctx.db.batch is not None:
                        body = await self._answer_pg(scope, path)
                except Exception:  # noqa: BLE001 - the ordinary way answers or renders it
                    log.debug("fast lane declined %s", path, exc_info=True)
                    body = None
                if body is not None:
                    length = (b"content-length", b"%d" % len(body))
                    await send({
                        "type": "http.response.start",
                        "status": 200,
                        # In the order of each face's own answer (v3 and the v1 list:
                        # JSONResponse's and Response's).
                        "headers": [_CONTENT_TYPE, length] if v1
                        else [length, _CONTENT_TYPE],
                    })
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)

    def _asked(self, scope: Scope, path: str) -> tuple[int, Pairs] | None:
        """The portal and the parameters (but the credential) of a request this lane may
        answer: no NUL, a known credential, a portal without rate limits now."""
        query: bytes = scope["query_string"]
        if has_nul(path, query):
            return None
        every, params = _params(query, path[1] == "c") if query else ((), ())
        portal_id = _portal(self.ctx, scope, every)
        if portal_id is None or not self.limits.surely_off(portal_id):
            return None
        return portal_id, params

    def _answer(self, scope: Scope, path: str) -> bytes | None:
        asked = self._asked(scope, path)
        if asked is None:
            return None
        portal_id, params = asked
        if path[1] == "c":
            found = fastread.object_path(path)
            if found is None:
                listed = fastread.list_path(path)
                if listed is None:
                    return None
                return fastread.page(
                    self.ctx.db, portal_id, listed, params, self.ctx.settings.base_url)
            return fastread.read(self.ctx.db, portal_id, *found, params)
        if path in LIST_PATHS:
            # hubspot3's and hapipy's get_lead: a list of one guid and nothing else holds
            # that lead's stored document if it is not deleted. Anything else (no stored
            # document, no such live lead, any other list) is the list lane's.
            guid = _one_guid(params)
            return self.ctx.docs.read_live_by_guid(portal_id, guid) if guid else None
        rest = path[len(PREFIX):]
        guid = rest.strip("/")
        if rest[:1] == "/" and guid and "/" not in guid and "(" not in guid:
            return None if params else self.ctx.docs.read_by_guid(portal_id, guid)
        if not guid and len(params) == 1 and params[0][1]:
            name, value = params[0]
            if name == "email":
                return self.ctx.docs.read_by_email(portal_id, value)
            if name == "conversionEventGuid":
                return self.ctx.docs.read_by_event(portal_id, value)
        return None

    async def _answer_pg(self, scope: Scope, path: str) -> bytes | None:
        """``_answer`` on PostgreSQL: the reads waiting at once in one statement
        (store/pgbatch.py), a lead's stored document or else its rows rendered here
        (``PgDocuments.by_guid``). A v3 page, a lookup by conversion event and any
        read that finds nothing go the ordinary way."""
        asked = self._asked(scope, path)
        if asked is None:
            return None
        portal_id, params = asked
        docs = self.ctx.docs
        if path[1] == "c":
            found = fastread.object_path(path)
            if found is None:
                return None
            return await fastread.read_batched(self.ctx.db.batch, portal_id, *found, params)
        if path in LIST_PATHS:
            # A list of one guid holds that lead if it is not deleted (as ``_answer``).
            guid = _one_guid(params)
            return await docs.pg.by_guid(portal_id, guid, live=True) if guid else None
        rest = path[len(PREFIX):]
        guid = rest.strip("/")
        if rest[:1] == "/" and guid and "/" not in guid and "(" not in guid:
            return None if params else await docs.pg.by_guid(portal_id, guid)
        if not guid and len(params) == 1 and params[0][0] == "email" and params[0][1]:
            return await docs.pg.by_email(portal_id, service.normalize_email(params[0][1]))
        return None


def _one_guid(params: Pairs) -> str | None:
    """The guid of a v1 list of one guid and nothing else (``guids[0]=``), or None."""
    if len(params) == 1 and params[0][0] == "guids[0]" and params[0][1].strip():
        return params[0][1]
    return None


Pairs = tuple[tuple[str, str], ...]
# The parameters of the v3 query strings seen last, all of them and those but the
# credential: the official client sends the same ``properties=...&archived=false`` with
# every read of a call site. Emptied when full. A v1 lookup's query string (an email, a
# guid) is new each time: kept, it would cost more than it saves.
PAIRS_MAX = 256
_pairs: dict[bytes, tuple[Pairs, Pairs]] = {}


def _params(query: bytes, keep: bool) -> tuple[Pairs, Pairs]:
    """A query string's parameters (as ``query_pairs``), and those but the credential;
    remembered if ``keep``."""
    seen = _pairs.get(query) if keep else None
    if seen is None:
        every = tuple(query_pairs(query))
        seen = every, without_credential(every)
        if keep:
            if len(_pairs) >= PAIRS_MAX:
                _pairs.clear()
            _pairs[query] = seen
    return seen


def _portal(ctx: Any, scope: Scope, params: Sequence[tuple[str, str]]) -> int | None:
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

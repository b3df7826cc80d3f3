"""The fast lane of v1 list pages: answered in front of Starlette's stack.

``GET /leads/v1/list`` is the second most common read. The ordinary face
answers it with a few statements on the event loop's own SQLite connection
(``LeadDocuments.stored_page``: the page's ids, their stored documents, and
the rows of any lead on the page without one, rendered); what a short page
costs beyond them is Starlette's middleware, routing, request and response
objects. This ASGI layer calls the same parsing and the same
``stored_page`` in front of all of that, under the rules of the point-read
lane (leads/fastlane.py): it answers only where the error handler, the NUL
guard and the rate limiter would have let the request through untouched:

- no NUL character in the path or query string (the guard's 400),
- a credential the server already knows, of a portal known to have no rate
  limits right now (``PortalLimits.surely_off``),
- parameters that parse (an invalid one is the face's 400) and ask for
  conversion events (the default; ``guids``, how the legacy clients get a
  lead, included: ``stored_guids_page``; a list of one ``guids[0]`` and
  nothing else, hubspot3's and hapipy's ``get_lead``, whose lead has a stored
  document and is not deleted, is answered before, by the point-read lane),
- nothing raised.

On PostgreSQL the lane answers the pages not restricted to guids, read as
the ordinary face reads them (``PgDocuments.page``: one statement on
the event loop's connections).

Everything else goes on to the ordinary stack, which gives the same answer
the slow way. The page is read as the ordinary face reads a stored page
(``LeadDocuments.stored``): on the event loop while it is short (two indexed
statements cost less than a hop to a worker thread), in a worker thread once
it has taken more SQLite steps than a short page does.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from leadhub.guard import has_nul
from leadhub.http import JSONResponse, query_pairs
from leadhub.leads.fastlane import LIST_PATHS, _portal
from leadhub.leads.params import parse_list
from leadhub.ratelimit import PortalLimits
from leadhub.store.leadlist import LeadListQuery

log = logging.getLogger("leadhub")

# The headers of the face's ``Response(body, media_type=...)``, in its order.
_CONTENT_TYPE = (b"content-type", JSONResponse.media_type.encode("latin-1"))


class V1ListLane:
    """Answer v1 list pages of stored documents the fast way; pass the rest on."""

    def __init__(self, app: ASGIApp, ctx: Any, limits: PortalLimits) -> None:
        self.app = app
        self.ctx = ctx
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] in LIST_PATHS
            and scope["method"] == "GET"
            and (self.ctx.docs.enabled or self.ctx.docs.pg_pages)
        ):
            docs = self.ctx.docs
            try:
                found = self._query(scope)
                if found is None:
                    body = None
                elif not docs.enabled:  # PostgreSQL: pages not restricted to guids
                    body = None if found[1] else await docs.pg.page(found[0])
                elif found[1]:
                    body = await docs.stored_guids(*found)
                else:
                    body = await docs.stored(found[0])
            except Exception:  # noqa: BLE001 - the ordinary way answers or renders it
                log.debug("list lane declined %s", scope["path"], exc_info=True)
                body = None
            if body is not None:
                await send({
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"%d" % len(body)), _CONTENT_TYPE],
                })
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _query(self, scope: Scope) -> tuple[LeadListQuery, list[str]] | None:
        """The page asked for and its guids, or None to decline."""
        query: bytes = scope["query_string"]
        if has_nul(scope["path"], query):
            return None
        # As Starlette's QueryParams reads them: blank values kept, the last one wins.
        items = query_pairs(query)
        portal_id = _portal(self.ctx, scope, items)
        if portal_id is None or not self.limits.surely_off(portal_id):
            return None
        req, guids = parse_list(portal_id, dict(items), items)
        if req.exclude_events:
            return None
        return req.query, guids


__all__ = ["V1ListLane"]

"""Credentials to portals: ``Authorization: Bearer``, ``?access_token=`` and ``?hapikey=``."""

from __future__ import annotations

import time

from starlette.requests import Request

from leadhub.errors import Unauthorized
from leadhub.store import Database
from leadhub.store import portals as portal_store

# How long a credential the store did not know counts as unknown to ``recently_unknown``.
UNKNOWN_TTL_S = 2.0
# Unknown credentials are whatever clients send: remember a bounded number of them.
MAX_UNKNOWN = 4096


class Authenticator:
    """Resolves a request's credential to its portal, remembering known tokens."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[str, int] = {}
        self._unknown: dict[str, float] = {}

    @staticmethod
    def credential(request: Request) -> str | None:
        """The credential a request carries, in HubSpot's order of precedence."""
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer " and header[7:].strip():
            return header[7:].strip()
        params = request.query_params
        return params.get("access_token") or params.get("hapikey") or None

    def known(self, token: str) -> int | None:
        """The portal of a credential seen before, without asking the store."""
        return self._known.get(token)

    def recently_unknown(self, token: str) -> bool:
        """Whether the store did not know this credential less than UNKNOWN_TTL_S ago.

        Only for requests that work without a credential (the rate limiter, form
        posts): ``portal_id`` always asks the store about a credential it does not
        know, so a token created in another process is accepted at once.
        """
        seen = self._unknown.get(token)
        return seen is not None and time.monotonic() - seen < UNKNOWN_TTL_S

    async def portal_id(self, request: Request) -> int:
        """The portal of the request's credential; Unauthorized if missing or unknown."""
        token = self.credential(request)
        if not token:
            raise Unauthorized(
                "Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication (a Bearer access token) and hapikey."
            )
        portal = self._known.get(token)
        if portal is None:
            portal = await self.db.aread(portal_store.portal_for_token, token)
            if portal is None:
                if len(self._unknown) >= MAX_UNKNOWN:
                    self._unknown.clear()
                self._unknown[token] = time.monotonic()
                raise Unauthorized(
                    "The OAuth token used to make this call is not valid or has expired."
                )
            self._known[token] = portal
        return portal

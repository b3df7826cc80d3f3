"""Credentials to portals: ``Authorization: Bearer``, ``?access_token=`` and ``?hapikey=``."""

from __future__ import annotations

from starlette.requests import Request

from leadhub.errors import Unauthorized
from leadhub.store import Database
from leadhub.store import portals as portal_store


class Authenticator:
    """Resolves a request's credential to its portal, remembering known tokens."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[str, int] = {}

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
                raise Unauthorized(
                    "The OAuth token used to make this call is not valid or has expired."
                )
            self._known[token] = portal
        return portal

"""ASGI middleware refusing request targets that no store can hold: NUL characters.

PostgreSQL text cannot contain NUL and SQLite cuts strings at it, so a path
or query parameter carrying one (``%00``) could never match anything and
would only reach the database as an error. It gets a 400 before any face
sees it, the same on both stores, in the error format of the face the URL
names: plain text for the form insert (``POST /``), HubSpot's error envelope
for the rest.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from leadhub.errors import ValidationError
from leadhub.http import error_response
from leadhub.ingest.face import form_error


def has_nul(path: str, query: bytes) -> bool:
    """Whether a request's path or query string holds a NUL character.

    ``bytes.find`` rather than ``in``: on bytes, ``in`` first tries its operand
    as an integer, building and dropping a TypeError, which made this check
    a noticeable part of a point read.
    """
    return "\x00" in path or query.find(b"%00") >= 0 or query.find(b"\x00") >= 0


class RequestGuard:
    """Answer 400 to HTTP requests whose path or query string holds a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if has_nul(scope.get("path", ""), scope.get("query_string", b"")):
                error = ValidationError("the URL must not contain NUL characters (%00)")
                if scope.get("path") == "/" and scope.get("method") == "POST":
                    response = form_error(error)
                else:
                    response = error_response(error)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

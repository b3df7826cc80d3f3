"""What the tests of the lanes in front of the stack share."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class Spy:
    """The ordinary stack behind a lane, counting the requests that reach it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


def get(app: Any, target: str, headers: dict[str, str], base_url: str) -> httpx.Response:
    """A GET sent straight to an ASGI application in this process."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as c:
            return await c.get(target, headers=headers)

    return asyncio.run(go())

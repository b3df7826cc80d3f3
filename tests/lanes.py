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


class Ordinary:
    """The ordinary stack behind a lane alone, called as Starlette calls it."""

    def __init__(self, app: Any, stack: Any) -> None:
        self.app = app
        self.stack = stack

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = self.app
        await self.stack(scope, receive, send)


def watched(app: Any, lane: type) -> tuple[Any, Spy, Ordinary]:
    """The application with the ordinary stack behind its ``lane`` layer watched: the
    application, the watching Spy, and that stack alone."""
    app.middleware_stack = app.build_middleware_stack()
    layer = app.middleware_stack
    while not isinstance(layer, lane):
        layer = layer.app
    spy = layer.app = Spy(layer.app)
    return app, spy, Ordinary(app, spy.app)

"""What the tests of the lanes in front of the stack share."""

from __future__ import annotations

from typing import Any


class Spy:
    """The ordinary stack behind a lane, counting the requests that reach it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.app(scope, receive, send)

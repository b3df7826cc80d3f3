"""The ceiling: a raw ASGI app on uvicorn that answers every request with one stored body.

It does nothing but what any server must (parse HTTP, send bytes), so its
rate is the most a Python server on this machine and this uvicorn can do.
The body is the v1 lead leadhub serves, read from ``LEADHUB_BENCH_BODY``.
"""

from __future__ import annotations

import os
from typing import Any

BODY = open(os.environ.get("LEADHUB_BENCH_BODY", os.devnull), "rb").read() or b"[]"
HEADERS = [
    (b"content-type", b"application/json;charset=utf-8"),
    (b"content-length", str(len(BODY)).encode()),
]
START = {"type": "http.response.start", "status": 200, "headers": HEADERS}
MESSAGE = {"type": "http.response.body", "body": BODY}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer every HTTP request with BODY."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        await send(START)
        await send(MESSAGE)

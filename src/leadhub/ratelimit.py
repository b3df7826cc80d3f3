"""Optional per-token rate limits, configured per portal, as ASGI middleware.

Off by default. ``leadhub portal limits --portal N --per-second X --daily Y``
stores ``{"rate_limits": {"per_second": X, "daily": Y}}`` in the portal's
settings; every access token of that portal then gets X requests per second
and Y per UTC day. When a portal has limits, every response to its tokens
carries HubSpot's headers (``X-HubSpot-RateLimit-Interval-Milliseconds``,
``-Max``, ``-Remaining``, ``-Secondly``, ``-Secondly-Remaining``, ``-Daily``,
``-Daily-Remaining``); a request over a limit gets 429 with ``Retry-After``
and HubSpot's body (``errorType: RATE_LIMIT``, ``policyName`` ``SECONDLY``
or ``DAILY``) and is not counted.

Counters live in the memory of each API process: with ``serve --workers N``
each process counts on its own, so the effective limit is N times the
configured one, and a restart starts the counts afresh. Limit settings are
re-read from the store every few seconds, so a change applies without a
restart: once per portal at a time, and, for a portal in use, ahead of the
moment the settings read last grow too old (``PortalLimits``). A
credential the store did not know is not looked up again for the same few
seconds (``Authenticator.recently_unknown``): requests that
need no credential, such as form posts, may carry any, and one created
meanwhile is counted once a face has looked it up or the moment has passed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadhub.errors import LeadhubError
from leadhub.http import JSONResponse
from leadhub.store import Database
from leadhub.store import portals as portal_store

SETTINGS_KEY = "rate_limits"
SETTINGS_TTL_S = 2.0
# Settings older than this are read again in the background while still used.
REFRESH_AHEAD_S = SETTINGS_TTL_S / 2
DAY_S = 86_400

log = logging.getLogger("leadhub")


@dataclass(frozen=True)
class Limits:
    """A portal's limits; 0 means unlimited in that dimension."""

    per_second: int = 0
    daily: int = 0

    @property
    def on(self) -> bool:
        """Whether any limit applies."""
        return self.per_second > 0 or self.daily > 0


def limits_of(settings: dict[str, Any]) -> Limits:
    """The limits stored in a portal's settings document (none when absent)."""
    raw = settings.get(SETTINGS_KEY) or {}
    return Limits(int(raw.get("per_second") or 0), int(raw.get("daily") or 0))


def settings_with(settings: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """A settings document with these limits (removed when off)."""
    out = {k: v for k, v in settings.items() if k != SETTINGS_KEY}
    if limits.on:
        out[SETTINGS_KEY] = {"per_second": limits.per_second, "daily": limits.daily}
    return out


@dataclass
class _Counter:
    second: int = -1
    in_second: int = 0
    day: int = -1
    in_day: int = 0


@dataclass
class Decision:
    """The outcome for one request: allowed or the policy it broke, and the headers."""

    policy: str | None
    retry_after: int
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


class RateLimiter:
    """Counts requests per token in fixed one-second and UTC-day windows."""

    def __init__(self) -> None:
        self._counters: dict[str, _Counter] = {}

    def check(self, token: str, limits: Limits, now: float) -> Decision:
        """Count a request for ``token`` if it is within ``limits``."""
        c = self._counters.setdefault(token, _Counter())
        second, day = int(now), int(now // DAY_S)
        if c.second != second:
            c.second, c.in_second = second, 0
        if c.day != day:
            c.day, c.in_day = day, 0
        policy, retry = None, 0
        if limits.daily and c.in_day >= limits.daily:
            policy, retry = "DAILY", max(1, math.ceil((day + 1) * DAY_S - now))
        elif limits.per_second and c.in_second >= limits.per_second:
            policy, retry = "SECONDLY", 1
        else:
            c.in_second += 1
            c.in_day += 1
        return Decision(policy, retry, self._headers(c, limits))

    @staticmethod
    def _headers(c: _Counter, limits: Limits) -> list[tuple[bytes, bytes]]:
        out: list[tuple[str, int]] = []
        if limits.per_second:
            left = max(0, limits.per_second - c.in_second)
            out += [
                ("interval-milliseconds", 1000),
                ("max", limits.per_second),
                ("remaining", left),
                ("secondly", limits.per_second),
                ("secondly-remaining", left),
            ]
        if limits.daily:
            out += [("daily", limits.daily), ("daily-remaining", max(0, limits.daily - c.in_day))]
        return [(f"x-hubspot-ratelimit-{k}".encode(), str(v).encode()) for k, v in out]


class PortalLimits:
    """Each portal's limits as last read from the store, never used once older than
    SETTINGS_TTL_S.

    A portal's settings are read by one read at a time, which every request that
    needs them meanwhile waits for: when they grew too old under load, each request
    in flight read them on its own, in a worker thread, and took the ordinary path
    meanwhile. And settings in use are read again in the background once older than
    REFRESH_AHEAD_S, so that under steady use they never grow too old.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._limits: dict[int, tuple[float, Limits]] = {}
        self._reading: dict[int, asyncio.Task[Limits]] = {}

    async def get(self, portal_id: int) -> Limits:
        """The portal's limits, from the store when the remembered ones are too old."""
        cached = self._limits.get(portal_id)
        if cached is not None:
            age = time.monotonic() - cached[0]
            if age < SETTINGS_TTL_S:
                if age >= REFRESH_AHEAD_S:
                    self._read(portal_id)
                return cached[1]
        # Shielded: a request that gives up leaves the read to the others waiting.
        return await asyncio.shield(self._read(portal_id))

    def _read(self, portal_id: int) -> asyncio.Task[Limits]:
        """The read of a portal's settings under way, started if there is none."""
        loop = asyncio.get_running_loop()
        task = self._reading.get(portal_id)
        if task is None or task.get_loop() is not loop:
            task = loop.create_task(self._fetch(portal_id))
            self._reading[portal_id] = task
            task.add_done_callback(lambda done: self._read_ended(portal_id, done))
        return task

    async def _fetch(self, portal_id: int) -> Limits:
        asked = time.monotonic()  # the settings read are at least as new as this
        portal = await self._db.aread(portal_store.get_portal, portal_id)
        limits = limits_of(portal.settings) if portal is not None else Limits()
        self._limits[portal_id] = (asked, limits)
        return limits

    def _read_ended(self, portal_id: int, task: asyncio.Task[Limits]) -> None:
        if self._reading.get(portal_id) is task:
            del self._reading[portal_id]
        if not task.cancelled() and task.exception() is not None:
            # Whoever waited has the error; a read ahead that failed is tried again by
            # the next request, and the settings read last stay in use until too old.
            log.debug("reading portal %s's rate limits failed", portal_id,
                      exc_info=task.exception())

    def surely_off(self, portal_id: int) -> bool:
        """Whether the portal is known, without asking the store, to have no limits now.

        True only when ``get`` would answer "no limits" from what it remembers,
        so a request it lets skip the middleware is one the middleware would
        have passed on untouched.
        """
        cached = self._limits.get(portal_id)
        if cached is None or cached[1].on:
            return False
        age = time.monotonic() - cached[0]
        if REFRESH_AHEAD_S <= age < SETTINGS_TTL_S and _on_a_loop():
            self._read(portal_id)  # (a lane's read in a worker thread leaves it)
        return age < SETTINGS_TTL_S


def _on_a_loop() -> bool:
    """Whether this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class RateLimitMiddleware:
    """Applies each portal's rate limits to requests carrying one of its tokens."""

    def __init__(self, app: ASGIApp, limits: PortalLimits) -> None:
        self.app = app
        self.limiter = RateLimiter()
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx = scope["app"].state.leadhub
        request = Request(scope)
        token = ctx.auth.credential(request)
        if not token or (ctx.auth.known(token) is None and ctx.auth.recently_unknown(token)):
            # No credential, or one the store did not know moments ago: nothing to count.
            await self.app(scope, receive, send)
            return
        try:
            portal_id = await ctx.auth.portal_id(request)
        except LeadhubError:
            await self.app(scope, receive, send)  # the face answers 401
            return
        limits = await self.limits.get(portal_id)
        if not limits.on:
            await self.app(scope, receive, send)
            return
        decision = self.limiter.check(token, limits, time.time())
        if decision.policy is not None:
            await self._refuse(decision, scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  *decision.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _refuse(decision: Decision, scope: Scope, receive: Receive, send: Send) -> None:
        which = "daily" if decision.policy == "DAILY" else "secondly"
        response = JSONResponse(
            {
                "status": "error",
                "message": f"You have reached your {which} limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": decision.policy,
                "category": "RATE_LIMITS",
            },
            status_code=429,
        )
        response.headers["Retry-After"] = str(decision.retry_after)
        response.raw_headers.extend(decision.headers)
        await response(scope, receive, send)

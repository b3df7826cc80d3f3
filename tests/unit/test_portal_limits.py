"""Each portal's rate-limit settings as remembered by an API process (ratelimit.py
``PortalLimits``): read by one read at a time, read again ahead while in use, and
never used once older than SETTINGS_TTL_S."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from leadhub import ratelimit
from leadhub.ratelimit import REFRESH_AHEAD_S, SETTINGS_TTL_S, Limits, PortalLimits

PORTAL = 7


class Store:
    """A store whose reads of a portal are counted, and wait for ``gate`` if set."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {}
        self.reads = 0
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def aread(self, fn: Any, portal_id: int) -> Any:
        self.reads += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("store out of reach")
        return SimpleNamespace(settings=dict(self.settings))


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def store() -> Store:
    return Store()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_requests_waiting_at_once_share_one_read(clock, store) -> None:
    limits = PortalLimits(store)

    async def go() -> list[Limits]:
        store.gate = asyncio.Event()
        waiting = [asyncio.ensure_future(limits.get(PORTAL)) for _ in range(32)]
        await _settle()
        store.gate.set()
        return await asyncio.gather(*waiting)

    assert asyncio.run(go()) == [Limits()] * 32
    assert store.reads == 1


def test_settings_in_use_are_read_again_ahead_and_never_grow_too_old(clock, store) -> None:
    limits = PortalLimits(store)

    async def go() -> list[bool]:
        await limits.get(PORTAL)
        seen = []
        for _ in range(10):  # a request every half of REFRESH_AHEAD_S, for a while
            clock[0] += REFRESH_AHEAD_S / 2
            seen.append(limits.surely_off(PORTAL))
            await _settle()  # the read ahead, if one started, ends
        return seen

    assert asyncio.run(go()) == [True] * 10
    # One read at the start, then one each time the settings passed REFRESH_AHEAD_S.
    assert store.reads == 1 + 10 // 2


def test_a_change_is_seen_by_the_read_ahead(clock, store) -> None:
    limits = PortalLimits(store)

    async def go() -> list[bool]:
        await limits.get(PORTAL)
        store.settings = {"rate_limits": {"per_second": 5}}
        clock[0] += REFRESH_AHEAD_S
        before = limits.surely_off(PORTAL)  # still within SETTINGS_TTL_S: answered
        await _settle()
        return [before, limits.surely_off(PORTAL)]

    assert asyncio.run(go()) == [True, False]


def test_settings_too_old_are_not_used_while_their_read_is_slow(clock, store) -> None:
    limits = PortalLimits(store)

    async def go() -> tuple[bool, bool, Limits]:
        await limits.get(PORTAL)
        store.gate = asyncio.Event()
        store.settings = {"rate_limits": {"daily": 9}}
        clock[0] += REFRESH_AHEAD_S
        ahead = limits.surely_off(PORTAL)  # starts the read, which waits
        clock[0] = clock[0] - REFRESH_AHEAD_S + SETTINGS_TTL_S
        late = limits.surely_off(PORTAL)
        waiting = asyncio.ensure_future(limits.get(PORTAL))
        await _settle()
        store.gate.set()
        return ahead, late, await waiting

    ahead, late, found = asyncio.run(go())
    assert ahead and not late
    assert found == Limits(daily=9) and store.reads == 2  # the read ahead, shared


def test_a_request_that_gives_up_leaves_the_read_to_the_others(clock, store) -> None:
    limits = PortalLimits(store)

    async def go() -> Limits:
        store.gate = asyncio.Event()
        quitter = asyncio.ensure_future(limits.get(PORTAL))
        other = asyncio.ensure_future(limits.get(PORTAL))
        await _settle()
        quitter.cancel()
        await _settle()
        store.gate.set()
        return await other

    assert asyncio.run(go()) == Limits() and store.reads == 1


def test_a_failed_read_fails_its_waiters_and_the_next_request_reads_again(
    clock, store
) -> None:
    limits = PortalLimits(store)

    async def go() -> Limits:
        store.fail = True
        with pytest.raises(RuntimeError):
            await limits.get(PORTAL)
        store.fail = False
        return await limits.get(PORTAL)

    assert asyncio.run(go()) == Limits() and store.reads == 2
    assert limits.surely_off(PORTAL)


def test_surely_off_from_a_thread_without_a_loop_reads_nothing(clock, store) -> None:
    limits = PortalLimits(store)
    asyncio.run(limits.get(PORTAL))
    clock[0] += REFRESH_AHEAD_S
    assert limits.surely_off(PORTAL)  # no loop here: answered, nothing started
    assert store.reads == 1

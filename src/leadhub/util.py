"""Small helpers shared by every layer: clocks and identifiers."""

from __future__ import annotations

import os
import threading
import time


def now_ms() -> int:
    """Milliseconds since the epoch, as HubSpot timestamps are."""
    return time.time_ns() // 1_000_000


# Guids are drawn from the operating system's random source in blocks: one
# system call per block instead of one per guid. Each such call releases the
# interpreter lock, and on a busy server getting it back (from the group
# committer's thread) cost more than the whole rest of a form post's guid.
_GUIDS_PER_DRAW = 256


class _GuidSource(threading.local):
    def __init__(self) -> None:
        self.hex = ""
        self.at = 0


_source = _GuidSource()


def _forget_guids() -> None:
    # A forked child must not hand out the guids its parent will.
    global _source
    _source = _GuidSource()


os.register_at_fork(after_in_child=_forget_guids)


def new_guid() -> str:
    """A 32-hex-digit guid, the shape of v1 lead and submission guids: 128 bits from the
    operating system's random source (as ``uuid4``, without its version bits)."""
    source = _source
    at = source.at
    if at >= len(source.hex):
        source.hex = os.urandom(16 * _GUIDS_PER_DRAW).hex()
        at = 0
    source.at = at + 32
    return source.hex[at:at + 32]


def parse_bool(value: str) -> bool | None:
    """Parse a query-string boolean in any case; None if it is not one."""
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    return None

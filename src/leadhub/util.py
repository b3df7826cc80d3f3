"""Small helpers shared by every layer: clocks and identifiers."""

from __future__ import annotations

import os
import threading
import time


def now_ms() -> int:
    """Milliseconds since the epoch, as HubSpot timestamps are."""
    return time.time_ns() // 1_000_000


# A guid is the time of its making in milliseconds (12 hex digits, as in a
# UUIDv7) followed by 80 random bits. Guids are keys of unique indexes
# (submissions, leads' unique values); made in time order, each new one goes
# at the end of its index, where a group of inserts dirties one page, instead
# of a page of its own anywhere in the index. The random bits are drawn from
# the operating system's random source in blocks: one system call per block
# instead of one per guid. Each such call releases the interpreter lock, and
# on a busy server getting it back (from the group committer's thread) cost
# more than the whole rest of a form post's guid.
_GUIDS_PER_DRAW = 256
_RANDOM_HEX = 20


class _GuidSource(threading.local):
    def __init__(self) -> None:
        self.hex = ""
        self.at = 0
        self.ms = -1
        self.prefix = ""


_source = _GuidSource()


def _forget_guids() -> None:
    # A forked child must not hand out the guids its parent will.
    global _source
    _source = _GuidSource()


os.register_at_fork(after_in_child=_forget_guids)


def new_guid() -> str:
    """A 32-hex-digit guid, the shape of v1 lead and submission guids: the time in
    milliseconds (48 bits), then 80 bits from the operating system's random source."""
    source = _source
    at = source.at
    if at >= len(source.hex):
        source.hex = os.urandom(_RANDOM_HEX // 2 * _GUIDS_PER_DRAW).hex()
        at = 0
    source.at = at + _RANDOM_HEX
    ms = now_ms()
    if ms != source.ms:
        source.ms = ms
        source.prefix = "%012x" % (ms & 0xFFFF_FFFF_FFFF)
    return source.prefix + source.hex[at:at + _RANDOM_HEX]


def parse_bool(value: str) -> bool | None:
    """Parse a query-string boolean in any case; None if it is not one."""
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    return None

"""Small helpers shared by every layer: clocks and identifiers."""

from __future__ import annotations

import time
import uuid


def now_ms() -> int:
    """Milliseconds since the epoch, as HubSpot timestamps are."""
    return time.time_ns() // 1_000_000


def new_guid() -> str:
    """A 32-hex-digit guid, the shape of v1 lead and submission guids."""
    return uuid.uuid4().hex


def parse_bool(value: str) -> bool | None:
    """Parse a query-string boolean in any case; None if it is not one."""
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    return None

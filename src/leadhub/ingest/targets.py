"""The targets of form posts (portal and form) remembered for a short while.

Every form post names its form and, through its host name or ``portalId``,
its portal; resolving them takes several queries, while the answer changes
only when someone reconfigures forms or host names (``leadhub form``, in any
process). Only targets whose form exists are remembered, for TARGET_TTL_S:
a form created anywhere is accepted at once (an unknown name is always
looked up again, so it keeps its 404 until it exists), and a change of host
names or of the set of portals applies to posts within TARGET_TTL_S, as a
change of rate limits does (ratelimit.SETTINGS_TTL_S).
"""

from __future__ import annotations

import time

from leadhub.ingest.service import Target

TARGET_TTL_S = 2.0
# The key holds the Host header as sent, so a client can vary it: bounded.
MAX_TARGETS = 4096

Key = tuple[str | None, str | None, str]


class TargetCache:
    """Resolved targets with a form, by (Host header, portalId parameter, form name)."""

    def __init__(self, ttl_s: float = TARGET_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._targets: dict[Key, tuple[float, Target]] = {}

    @staticmethod
    def key(host: str | None, portal_param: str | None, form_name: str) -> Key:
        """What a target depends on: the form name counts in any case."""
        return host, portal_param, form_name.lower()

    def get(self, key: Key) -> Target | None:
        """The remembered target of a post, if resolved less than ``ttl_s`` ago."""
        found = self._targets.get(key)
        if found is None or time.monotonic() - found[0] >= self.ttl_s:
            return None
        return found[1]

    def put(self, key: Key, target: Target) -> None:
        """Remember a target that has a form (others are always looked up again)."""
        if target.form is None:
            return
        if len(self._targets) >= MAX_TARGETS:
            self._targets.clear()
        self._targets[key] = (time.monotonic(), target)

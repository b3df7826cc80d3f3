"""Answers of point reads kept in the process while the store has not changed.

A point read of a lead read moments ago costs the store a lookup (and on
PostgreSQL a statement), for the bytes it answered before. Each store has a
cheap way to tell that nothing at all has been committed since a moment:

- SQLite: ``PRAGMA data_version`` changes on a connection whenever any other
  connection, of this process or another, has committed since it last
  looked; it is read once per snapshot of a pass of the event loop
  (store/sqliteraw.py ``LoopSnapshot.kept``).
- PostgreSQL: ``pg_current_snapshot()`` says which transactions a snapshot
  sees as committed. Two snapshots that print the same saw the same
  commits: any commit in between either completes a transaction the
  first one listed as running or moves its upper bound. So one small
  statement per pass of the loop (store/pgbatch.py ``BatchReads.kept_or_read``)
  tells whether the answers read since a snapshot are still current, on
  whichever server the change was made.

An answer kept while that mark has not changed is what a read now would
answer, and every change empties the whole set. An answer is kept from the
second time its key is read: in a stream of reads of leads read once each,
keeping every answer cost more than it saved (each new answer written to
memory no cache held, 2-3 µs a read). Bounded by KEPT_BYTES, emptied when
full.
"""

from __future__ import annotations

from collections.abc import Hashable

# The bytes of answers kept (``KeptAnswers``): about 3,500 v1 leads.
KEPT_BYTES = 8 << 20
# The keys whose first read ``KeptAnswers`` remembers (about 0.8 MB of hashes).
SEEN_KEYS = 1 << 14


class KeptAnswers:
    """Answers read while the store's mark of change was ``version``."""

    __slots__ = ("answers", "size", "version", "seen")

    def __init__(self) -> None:
        self.answers: dict[Hashable, bytes] = {}
        self.size = 0
        # The store's mark of change when the answers were read (None: not known yet).
        self.version: object = None
        # Hashes of the keys read since the set was last emptied (SEEN_KEYS at most).
        self.seen: set[int] = set()

    def get(self, key: Hashable) -> bytes | None:
        """The answer kept for ``key``, or None."""
        return self.answers.get(key)

    def put(self, key: Hashable, body: bytes) -> None:
        """Keep an answer read at the current version, if its key was read before."""
        seen = self.seen
        mark = hash(key)
        if mark not in seen:
            if len(seen) >= SEEN_KEYS:
                seen.clear()
            seen.add(mark)
            return
        if self.size + len(body) > KEPT_BYTES:
            self.clear()
        self.answers[key] = body
        self.size += len(body)

    def clear(self) -> None:
        """Forget every answer."""
        self.answers.clear()
        self.size = 0

    def start(self, version: object) -> None:
        """Forget every answer: the store's mark of change is now ``version``."""
        self.clear()
        self.version = version

    def reset(self) -> None:
        """Forget everything, the keys read once too, as a new set does."""
        self.start(None)
        self.seen.clear()


__all__ = ["KEPT_BYTES", "SEEN_KEYS", "KeptAnswers"]

"""Group commit of accepted form posts: durable before the answer, without a sync per post.

Posts hand their row to one writer thread and wait. The writer takes every
row waiting, inserts them in one transaction and commits: one sync to disk
(SQLite ``synchronous=FULL``, PostgreSQL's default ``synchronous_commit``)
for the whole group. Only then are the waiting posts answered. While one
group syncs, the next one gathers, so the more posts arrive at once, the
larger the groups and the fewer the syncs per post. On a SQLite file the
group is one prebuilt insert on the writer's own connection
(``queue.enqueue_durably``): on a disk that syncs quickly the groups are
small, and the engine's per-transaction work cost more than the insert. On
PostgreSQL the group is one statement in a transaction of its own, on a
connection of its own (``Database.point_writes``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from leadhub.store import Database
from leadhub.store import queue as queue_store

log = logging.getLogger("leadhub.ingest")

MAX_GROUP = 1000
_STOP = object()


class GroupCommitter:
    """One writer thread that commits queued rows in groups."""

    def __init__(
        self, db: Database, on_commit: Callable[[], None] | None = None, max_group: int = MAX_GROUP
    ) -> None:
        self.db = db
        self.on_commit = on_commit
        self.max_group = max_group
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ingest-commit", daemon=True)
        self._started = False
        self._lock = threading.Lock()

    def _ensure_started(self) -> None:
        if not self._started:
            with self._lock:
                if not self._started:
                    self._thread.start()
                    self._started = True

    async def enqueue(self, row: dict[str, Any]) -> None:
        """Store one submission durably; returns once it is committed."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put((row, _Waiter(loop, future)))
        await future

    def stop(self) -> None:
        """Commit what is waiting, then stop the writer thread."""
        if self._started:
            self._queue.put(_STOP)
            self._thread.join(30)

    def _take_group(self) -> tuple[list[tuple[dict[str, Any], _Waiter]], bool]:
        first = self._queue.get()
        if first is _STOP:
            return [], True
        group = [first]
        stopping = False
        while len(group) < self.max_group:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                stopping = True
                break
            group.append(item)
        return group, stopping

    def _run(self) -> None:
        stopping = False
        while not stopping:
            group, stopping = self._take_group()
            if group:
                self._commit(group)

    def _commit(self, group: list[tuple[dict[str, Any], _Waiter]]) -> None:
        try:
            queue_store.enqueue_durably(self.db, [row for row, _ in group])
        except Exception as exc:  # noqa: BLE001 - retried one by one below
            if len(group) == 1:
                log.error("could not store a submission: %s", exc)
                _answer([group[0][1]], exc)
                return
            # One bad row must not fail its neighbours: store them one by one.
            for row, waiter in group:
                self._commit([(row, waiter)])
            return
        _answer([waiter for _, waiter in group], None)
        if self.on_commit is not None:
            self.on_commit()


class _Waiter:
    """A post waiting on its event loop for the commit of its row."""

    __slots__ = ("loop", "future")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
        self.loop = loop
        self.future = future


def _answer(waiters: list[_Waiter], exc: BaseException | None) -> None:
    """Settle the waiters' futures: one wake-up of each event loop for a whole group,
    where a future per post would have woken its loop once per post."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for waiter in waiters:
        by_loop.setdefault(waiter.loop, []).append(waiter.future)
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, futures, exc)
        except RuntimeError:  # that loop is closed: nobody waits any more
            pass


def _settle(futures: list[asyncio.Future[None]], exc: BaseException | None) -> None:
    for future in futures:
        if future.done():  # the post went away (its task was cancelled)
            continue
        if exc is None:
            future.set_result(None)
        else:
            future.set_exception(exc)

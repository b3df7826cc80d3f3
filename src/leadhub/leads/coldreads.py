"""Whether the event loop's point reads wait for the disk, and threads for them when they do.

A read of a lead on the event loop takes well under a millisecond while the
store's pages are in memory, less than a hop to a worker thread costs; on a
store larger than the memory the system caches it in, each read waits for
the disk with every other request behind it. ``ColdReads`` samples the
reads on the loop and sends them to threads of their own while many wait.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class ColdReads:
    """Whether point reads run on the event loop or in worker threads.

    A read of a lead touches pages no read touched lately: its stored
    document's, or its rows' when it has none. While the store's pages are
    in memory it takes well under a millisecond, less than a hop to a worker
    thread costs. On a store larger than the memory the system caches it in,
    a read waits for the disk (about 90 µs a page on the machines of
    docs/benchmarks.md), on the event loop, where every other request waits
    with it, one read at a time; from worker threads the disk serves several
    at once, for about 13 µs of CPU per hop. So reads on the loop are
    sampled (every read of a lead without a document, one in SAMPLE_EVERY of
    the others) and the kernel says whether each one read from the disk (the
    thread's block inputs, ``getrusage``; unlike a read's wall time, this is
    not fooled by a preemption or a wait for the interpreter lock). While
    more than the WAITING share of the last few dozen samples did, reads go
    to worker threads for THREADS_FOR_S seconds, after which the next reads
    on the loop are sampled again.
    """

    DECAY = 0.95
    # A hop costs a seventh of a page from the disk: threads pay once a quarter of the
    # reads wait for one.
    WAITING = 0.25
    # Samples needed after a change before the next: a few reads decide nothing.
    MIN_SAMPLES = 8
    THREADS_FOR_S = 1.0
    # A power of two: one read of a stored document in this many is sampled (a sample
    # costs two system calls, about 1.3 µs, a sixth of the read in-process).
    SAMPLE_EVERY = 32
    # Reads waiting for the disk at once, each on a connection of its own.
    THREADS = 8

    def __init__(self) -> None:
        self._from_disk = 0.0  # samples that read from the disk, decayed
        self._samples = 0.0  # samples, decayed the same way
        self._since = 0  # samples since the reads came back to the loop
        self._threads_until = 0.0
        self._reads = 0
        self._threads: ThreadPoolExecutor | None = None

    def inline(self) -> bool:
        """Whether the next read runs on the event loop."""
        if not self._threads_until:
            return True
        if time.monotonic() < self._threads_until:
            return False
        self._threads_until = 0.0  # back on the loop, sampled anew
        self._from_disk = self._samples = 0.0
        self._since = 0
        return True

    def took(self, blocks: int) -> None:
        """One read sampled on the event loop read ``blocks`` blocks from the disk."""
        self._from_disk = self._from_disk * self.DECAY + (blocks > 0)
        self._samples = self._samples * self.DECAY + 1.0
        self._since += 1
        if self._since >= self.MIN_SAMPLES and self._from_disk > self.WAITING * self._samples:
            self._threads_until = time.monotonic() + self.THREADS_FOR_S

    @contextmanager
    def sampled(self) -> Iterator[None]:
        """Inside, a read on the event loop, whose disk reads ``took`` counts."""
        before = _blocks_read()
        try:
            yield
        finally:
            self.took(_blocks_read() - before)

    def inline_read(self, read: Callable[[Any, str], T], scope: Any, path: str) -> T:
        """``read(scope, path)`` on the event loop, sampled one time in SAMPLE_EVERY."""
        self._reads += 1
        if self._reads & (self.SAMPLE_EVERY - 1):
            return read(scope, path)
        with self.sampled():
            return read(scope, path)

    async def in_thread(self, read: Callable[[Any, str], T], scope: Any, path: str) -> T:
        """``read(scope, path)`` in one of THREADS worker threads of its own (a third of
        the CPU of a hop through anyio's threads)."""
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self.THREADS, thread_name_prefix="leadhub-read")
        return await asyncio.get_running_loop().run_in_executor(self._threads, read, scope, path)

    def close(self) -> None:
        """Let the worker threads end (once their reads are answered); later reads start
        new ones."""
        threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=False)


# Linux counts a thread's own; elsewhere the process's is the nearest there is.
_RUSAGE = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)


def _blocks_read() -> int:
    """Blocks this thread has read from the disk (the page cache's misses), so far."""
    return resource.getrusage(_RUSAGE).ru_inblock

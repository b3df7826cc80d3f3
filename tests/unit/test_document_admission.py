"""Which leads read without a stored document get one stored: those read a second time.

The set of leads read once is bounded (``SEEN_MAX``): emptied when full, so
that reads spread over a large store cannot grow it without end.
"""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

from leadhub.leads import coldreads, docwrites
from leadhub.leads.docwrites import StoreLater


def _view(lead_id: int, portal_id: int = 1) -> SimpleNamespace:
    return SimpleNamespace(lead=SimpleNamespace(id=lead_id, portal_id=portal_id))


def _docs() -> StoreLater:
    docs = StoreLater(SimpleNamespace())  # type: ignore[arg-type]

    async def no_write() -> None:  # what would be stored is what pending holds
        return None

    docs._flush = no_write  # type: ignore[method-assign]
    return docs


def test_the_second_read_stores_and_the_set_of_first_reads_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(docwrites, "SEEN_MAX", 3)
    docs = _docs()

    async def reads(*ids: tuple[int, int]) -> None:
        for portal_id, lead_id in ids:
            docs.schedule(_view(lead_id, portal_id))  # type: ignore[arg-type]

    asyncio.run(reads((1, 10), (2, 20), (1, 11)))
    assert docs.pending == {}
    asyncio.run(reads((1, 10), (2, 20)))
    assert docs.pending == {1: {10}, 2: {20}}
    assert docs.seen == {11}
    asyncio.run(reads((1, 12), (1, 13), (1, 14)))  # full: emptied, 11 forgotten
    assert len(docs.seen) <= docwrites.SEEN_MAX
    asyncio.run(reads((1, 11)))
    assert docs.pending == {1: {10}, 2: {20}}


def test_cold_reads_leave_the_event_loop_while_they_wait_for_the_disk(monkeypatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(coldreads.time, "monotonic", lambda: now[0])
    cold = coldreads.ColdReads()
    for _ in range(500):  # in memory: no block read from the disk
        cold.took(0)
    cold.took(8)  # one read that did
    assert cold.inline()
    for _ in range(10):  # reads that mostly do
        cold.took(8)
    assert not cold.inline()
    now[0] += coldreads.ColdReads.THREADS_FOR_S
    assert cold.inline()  # sampled again on the loop
    for _ in range(int(coldreads.ColdReads.MIN_SAMPLES) - 1):  # a few decide nothing
        cold.took(8)
    assert cold.inline()
    cold.took(8)
    assert not cold.inline()


def test_point_reads_on_the_loop_are_sampled(monkeypatch) -> None:
    """One read in SAMPLE_EVERY asks the kernel what it read from the disk, and those
    samples alone move reads to threads."""
    blocks = [0]

    def disk_reads() -> int:
        blocks[0] += 8  # every sample finds that its read went to the disk
        return blocks[0]

    monkeypatch.setattr(coldreads, "_blocks_read", disk_reads)
    cold = coldreads.ColdReads()
    every = coldreads.ColdReads.SAMPLE_EVERY
    answers = [cold.inline_read(lambda scope, path: path, None, "x") for _ in range(8 * every - 1)]
    assert answers == ["x"] * (8 * every - 1)
    assert blocks[0] == 2 * 8 * 7 and cold.inline()  # seven samples: too few to decide
    cold.inline_read(lambda scope, path: path, None, "x")
    assert not cold.inline()


def test_blocks_read_counts_this_threads_reads() -> None:
    """The kernel's count of blocks read, never going back."""
    first = coldreads._blocks_read()
    assert first >= 0 and coldreads._blocks_read() >= first


def test_read_threads_end_when_closed() -> None:
    """The lane's read threads answer, and end once the server's lifespan closes them."""
    cold = coldreads.ColdReads()

    async def read() -> threading.Thread:
        return await cold.in_thread(lambda scope, path: threading.current_thread(), None, "")

    # The thread itself, not its name: other applications' lanes name theirs alike.
    thread = asyncio.run(read())
    assert thread.name.startswith("leadhub-read")
    cold.close()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert asyncio.run(read()).name.startswith("leadhub-read")  # a later read starts anew
    cold.close()

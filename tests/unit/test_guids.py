"""Guids are 32 lower-case hex digits, never repeated: across threads, blocks and forks."""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

from leadhub.util import new_guid

SHAPE = re.compile(r"^[0-9a-f]{32}$")


def test_guids_have_the_v1_shape_and_do_not_repeat_across_threads_and_blocks() -> None:
    def draw(_: int) -> list[str]:
        return [new_guid() for _ in range(1_500)]  # several blocks per thread

    with ThreadPoolExecutor(4) as pool:
        guids = [g for batch in pool.map(draw, range(4)) for g in batch]
    assert all(SHAPE.match(g) for g in guids)
    assert len(set(guids)) == len(guids) == 6_000


def test_a_forked_child_does_not_repeat_its_parents_guids() -> None:
    new_guid()  # the parent holds a partly used block
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.write(write, "".join(new_guid() for _ in range(8)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    theirs = {child[i:i + 32] for i in range(0, len(child), 32)}
    ours = {new_guid() for _ in range(8)}
    assert len(theirs) == 8 and not theirs & ours


def test_guids_begin_with_the_time_they_were_made_so_they_sort_by_it() -> None:
    before = time.time_ns() // 1_000_000
    first = new_guid()
    time.sleep(0.003)
    second = new_guid()
    after = time.time_ns() // 1_000_000
    assert before <= int(first[:12], 16) < int(second[:12], 16) <= after
    assert first < second
    # the rest is random: guids of the same millisecond differ there
    same_ms = [new_guid() for _ in range(50)]
    assert len({g[12:] for g in same_ms}) == 50

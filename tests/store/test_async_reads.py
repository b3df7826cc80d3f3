"""Where async reads run: point reads inline on SQLite, reads of many rows off the loop.

A read that touches many rows can wait on the disk for a long time on a
store larger than the cached memory; run on the event loop it would stop
every other request of the server, so those reads go to a worker thread.
"""

from __future__ import annotations

import threading

import anyio

from leadhub.store import Database


def _thread(_conn: object) -> int:
    return threading.get_ident()


def test_reads_of_many_rows_leave_the_event_loop(db: Database) -> None:
    async def main() -> tuple[int, int, int]:
        loop_thread = threading.get_ident()
        return loop_thread, await db.aread(_thread), await db.aread_many(_thread)

    loop_thread, point, many = anyio.run(main)
    assert many != loop_thread
    # SQLite point reads stay inline (cheaper than a thread hop); PostgreSQL's never are.
    assert (point == loop_thread) == db.is_sqlite


def test_a_slow_read_of_many_rows_lets_point_reads_through(db: Database) -> None:
    """While one read of many rows is held up, point reads on the loop still answer."""
    release = threading.Event()
    answered: list[str] = []

    def slow(_conn: object) -> str:
        release.wait(3)
        return "slow"

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            async def held() -> None:
                answered.append(await db.aread_many(slow))

            tg.start_soon(held)
            await anyio.sleep(0.1)  # the slow read has started and is waiting
            for _ in range(3):
                await db.aread(lambda conn: conn.exec_driver_sql("SELECT 1").scalar())
                answered.append("point")
            release.set()

    anyio.run(main)
    assert answered == ["point", "point", "point", "slow"]

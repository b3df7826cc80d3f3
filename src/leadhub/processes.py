"""Several processes: API processes under uvicorn, ingest workers under a supervisor.

``leadhub serve --workers N`` hands the listening socket to uvicorn's process
manager, which starts N processes that each build the application with
``app_from_env`` (settings travel in the environment) and restarts one that
dies. ``leadhub worker --concurrency M`` runs M ``leadhub worker`` processes
and restarts one that dies; a worker killed while it held submissions leaves
them leased, and any worker claims them again when the lease runs out.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from leadhub.config import DATABASE_URL_ENV, Settings

log = logging.getLogger("leadhub")

PUBLIC_URL_ENV = "LEADHUB_PUBLIC_URL"
EMBEDDED_WORKER_ENV = "LEADHUB_EMBEDDED_WORKER"
# A child that dies sooner than this after its start counts as failing to start.
QUICK_EXIT_S = 2.0
MAX_QUICK_EXITS = 5


def settings_from_env() -> Settings:
    """The settings ``serve`` exported for its API processes."""
    return Settings(
        database_url=os.environ[DATABASE_URL_ENV],
        public_url=os.environ[PUBLIC_URL_ENV],
        embedded_worker=os.environ.get(EMBEDDED_WORKER_ENV, "1") == "1",
    )


def app_from_env() -> Any:
    """Application factory run in each API process (``uvicorn --factory``)."""
    from leadhub.app import create_app

    limit_malloc_arenas()
    return create_app(settings_from_env())


# glibc's mallopt parameter for the most arenas malloc keeps (malloc.h).
M_ARENA_MAX = -8
# An API process's arenas. glibc gives each thread that allocates at once an arena of its
# own, up to eight per core, and keeps what was freed in each: the store's worker threads
# (the write that commits a group of writes, the reads of many rows) left the server's
# resident set about 25 MB larger after a run of writes than with two arenas, at the same
# rate of writes.
API_ARENAS = 2


def limit_malloc_arenas(arenas: int = API_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (threads started later share them),
    unless ``MALLOC_ARENA_MAX`` in the environment sets the cap itself; True if capped.
    Elsewhere (no glibc) nothing changes."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))


def serve_processes(settings: Settings, workers: int) -> None:
    """Serve with ``workers`` API processes on one socket, each with its own pool."""
    import uvicorn

    os.environ[DATABASE_URL_ENV] = settings.database_url
    os.environ[PUBLIC_URL_ENV] = settings.base_url
    os.environ[EMBEDDED_WORKER_ENV] = "1" if settings.embedded_worker else "0"
    uvicorn.run(
        "leadhub.processes:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def supervise(command: Sequence[str], count: int, echo: Any = print) -> int:
    """Run ``count`` copies of ``command`` until SIGTERM or SIGINT; restart any that dies.

    Returns the exit status: 0 after a requested stop, 1 when children keep
    failing right after their start (a bad URL, an unreachable database).
    """
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    children: dict[int, tuple[subprocess.Popen[bytes], float]] = {}

    def start(slot: int) -> None:
        proc = subprocess.Popen(list(command))
        children[slot] = (proc, time.monotonic())
        echo(f"worker process {slot} started: pid {proc.pid}")

    quick_exits = 0
    try:
        for slot in range(count):
            start(slot)
        while not stopping:
            time.sleep(0.2)
            for slot, (proc, started) in list(children.items()):
                code = proc.poll()
                if code is None or stopping:
                    continue
                echo(f"worker process {slot} (pid {proc.pid}) exited with {code}; restarting")
                quick_exits = quick_exits + 1 if time.monotonic() - started < QUICK_EXIT_S else 0
                if quick_exits >= MAX_QUICK_EXITS:
                    echo("worker processes keep failing at start; giving up")
                    return 1
                start(slot)
        return 0
    finally:
        for proc, _ in children.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 15
        for proc, _ in children.values():
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def worker_command(args: Sequence[str]) -> list[str]:
    """The command line of one worker process with the given options."""
    return [sys.executable, "-m", "leadhub", "worker", *args]

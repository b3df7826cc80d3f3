"""The ingest worker: background loops that drain the submission and callback queues.

One ``Worker`` runs one thread per loop, each with connections of its own. It
runs inside ``leadhub serve`` (woken at once by each commit of new posts) and
as ``leadhub worker`` (polling); any number of workers may share a store.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from leadhub.ingest.process import Outcome, Policy, process_claimed
from leadhub.store import Database
from leadhub.store import queue as queue_store
from leadhub.store.schema import callbacks, submissions
from leadhub.util import now_ms

log = logging.getLogger("leadhub.ingest")


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


@dataclass
class WorkerConfig:
    """Tuning of a worker; defaults suit one server, the environment may override them."""

    batch: int = 10
    lease_seconds: float = 30.0
    poll_seconds: float = 0.5
    policy: Policy = field(default_factory=Policy)
    callback_policy: Policy = field(
        default_factory=lambda: Policy(max_attempts=10, retry_base_ms=2_000, retry_max_ms=600_000)
    )
    callbacks: bool = True
    callback_timeout: float = 10.0

    @classmethod
    def from_env(cls) -> WorkerConfig:
        """Defaults overridden by LEADHUB_INGEST_* variables."""
        cfg = cls()
        cfg.batch = int(_env_float("LEADHUB_INGEST_BATCH", cfg.batch))
        cfg.lease_seconds = _env_float("LEADHUB_INGEST_LEASE_SECONDS", cfg.lease_seconds)
        cfg.poll_seconds = _env_float("LEADHUB_INGEST_POLL_SECONDS", cfg.poll_seconds)
        cfg.policy = Policy(
            max_attempts=int(_env_float("LEADHUB_INGEST_MAX_ATTEMPTS", cfg.policy.max_attempts)),
            retry_base_ms=int(
                _env_float("LEADHUB_INGEST_RETRY_BASE_MS", cfg.policy.retry_base_ms)
            ),
            retry_max_ms=cfg.policy.retry_max_ms,
            max_conflicts=int(
                _env_float("LEADHUB_INGEST_MAX_CONFLICTS", cfg.policy.max_conflicts)
            ),
        )
        cfg.callback_policy = Policy(
            max_attempts=int(
                _env_float("LEADHUB_CALLBACK_MAX_ATTEMPTS", cfg.callback_policy.max_attempts)
            ),
            retry_base_ms=int(
                _env_float("LEADHUB_CALLBACK_RETRY_BASE_MS", cfg.callback_policy.retry_base_ms)
            ),
            retry_max_ms=cfg.callback_policy.retry_max_ms,
        )
        return cfg


def worker_id() -> str:
    """A name for this worker, unique across hosts, processes and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_local_claims(db: Database) -> int:
    """Free the claims of workers on this host whose process is gone (a crash or kill),
    instead of waiting for their leases. Safe even if wrong: a live worker checks its
    claim under a row lock before it commits any work."""
    prefix = f"{socket.gethostname()}:"
    released = 0
    for table in (submissions, callbacks):
        for holder in db.read_call(queue_store.claim_holders, table, prefix):
            pid = holder[len(prefix):].split(":")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                released += db.write_call(queue_store.release_claims, table, holder, now_ms())
    if released:
        log.warning("took over %d claims of stopped workers on this host", released)
    return released


class Loop:
    """A thread that calls ``step`` until it returns 0, then waits to be woken or polls."""

    def __init__(self, name: str, step: Callable[[], int], poll_seconds: float) -> None:
        self.name = name
        self._step = step
        self._poll = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                done = self._step()
                failures = 0
            except Exception:  # noqa: BLE001 - the store may be briefly unavailable
                failures += 1
                log.exception("%s: step failed (%d in a row)", self.name, failures)
                self._stop.wait(min(0.2 * 2**failures, 10.0))
                continue
            if done == 0:
                self._wake.wait(self._poll)
                self._wake.clear()


class Worker:
    """Drains the submission queue (and, unless disabled, the callback outbox)."""

    def __init__(
        self,
        database_url: str,
        base_url: str,
        config: WorkerConfig | None = None,
        *,
        on_processed: Callable[[list[Outcome]], None] | None = None,
    ) -> None:
        self.config = config or WorkerConfig.from_env()
        self.id = worker_id()
        # Connections of its own: the worker never waits on the API's pool.
        self.db = Database(database_url, pool_size=2)
        self.base_url = base_url
        self._on_processed = on_processed
        # Set when a batch's transaction failed (the store went away mid-batch):
        # its rows are still claimed by this worker, and are freed at the next step.
        self._release_claims = False
        self.loops = [Loop("ingest-submissions", self.run_once, self.config.poll_seconds)]
        self.deliverer = None
        if self.config.callbacks:
            from leadhub.ingest.callbacks import Deliverer

            self.deliverer = Deliverer(self.db, base_url, self.config, self.id)
            self.loops.append(
                Loop("ingest-callbacks", self.deliverer.run_once, self.config.poll_seconds)
            )

    def run_once(self) -> int:
        """Claim one batch of due submissions and process it; returns how many were claimed."""
        cfg = self.config
        if self._release_claims:
            self.db.write_call(queue_store.release_claims, submissions, self.id, now_ms())
            self._release_claims = False
        # The claim need not wait for the disk: lost with the machine, it was never
        # acted on (the processing commit, which waits, puts it on disk first).
        with self.db.write(durable=False) as conn:
            ids = queue_store.claim_submissions(
                conn,
                self.id,
                now_ms(),
                int(cfg.lease_seconds * 1000),
                cfg.batch,
                cfg.policy.max_attempts,
            )
        if not ids:
            return 0
        try:
            outcomes = self.db.write_call(process_claimed, ids, self.id, cfg.policy)
        except Exception:
            # Nothing of the batch committed. Its claims are ours and would wait for
            # their lease; once the store answers again they are due at once instead.
            self._release_claims = True
            raise
        # Plans of the next batches see the tables as the queue's leads grew them.
        self.db.statistics.after_writes()
        if self._on_processed is not None:
            self._on_processed(outcomes)
        if any(o.created for o in outcomes) and self.deliverer is not None:
            self.loops[1].wake()
        return len(ids)

    def start(self) -> None:
        """Start the loops in background threads."""
        try:
            release_dead_local_claims(self.db)
        except Exception:  # noqa: BLE001 - leases will free them anyway
            log.exception("could not look for claims of stopped workers")
        for loop in self.loops:
            loop.start()

    def wake(self) -> None:
        """New submissions are committed: look at once instead of at the next poll."""
        self.loops[0].wake()

    def stop(self) -> None:
        """Stop the loops (a batch in progress finishes first) and close connections."""
        for loop in self.loops:
            loop.stop()
        if self.deliverer is not None:
            self.deliverer.close()
        self.db.dispose()

"""How a scenario is measured: bounded wrk runs after a warm-up, their median, and runs
paired with the ceiling's."""

from __future__ import annotations

import statistics
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench import procs, wrk
from bench.results import Row

if TYPE_CHECKING:
    from bench.results import Config, Results

# A run that answered fewer requests than this has no rate or p99 worth the name: wrk
# counts only the requests answered within its duration, so a request slower than the
# run leaves it empty. Such runs are made longer, up to MAX_RUN_SECONDS.
MIN_REQUESTS = 3
MAX_RUN_SECONDS = 120.0


def long_enough(run: Callable[[float], wrk.Result], seconds: float) -> tuple[wrk.Result, float]:
    """``run(seconds)``, repeated four times as long while it answers fewer than
    MIN_REQUESTS requests (at most MAX_RUN_SECONDS); the result and the duration used."""
    while True:
        result = run(seconds)
        if result.requests >= MIN_REQUESTS or seconds >= MAX_RUN_SECONDS:
            return result, seconds
        seconds = min(MAX_RUN_SECONDS, seconds * 4)


def measure(cfg: Config, url: str, reqs: Path, token: str, connections: int | None = None) -> Row:
    """Warm up, then the median of several bounded wrk runs, each long enough to answer
    a few requests (see ``long_enough``); a run that had to be longer sets the length of
    the runs after it."""
    conns = connections or cfg.connections
    timeout = 10 if conns > 1 else int(MAX_RUN_SECONDS)

    def one(seconds: float) -> wrk.Result:
        return wrk.run(url, reqs, connections=conns, seconds=seconds, token=token,
                       timeout_s=timeout)

    if cfg.warmup:  # also until a few are answered: the first may read a cold store
        long_enough(one, cfg.warmup)
    seconds = cfg.seconds
    runs = []
    for _ in range(cfg.runs):
        result, seconds = long_enough(one, seconds)
        runs.append(result)
    return Row(
        size=None, scenario="",
        rps=statistics.median(r.rps for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors + r.bad_status for r in runs),
    )


@dataclass
class Ceiling:
    """The running ceiling server and its requests, for runs paired with a scenario's."""

    url: str
    reqs: Path
    token: str


def measure_paired(cfg: Config, one: Callable[[float], wrk.Result], ceiling: Ceiling) -> Row:
    """Warm up, then each run of the scenario right after a run of the ceiling.

    For the scenarios whose target is a share of the ceiling. This machine's
    speed drifts over minutes (the ceiling itself moves by a fifth between
    runs), so a ratio of two rates taken minutes apart carries that drift; each
    pair here is taken seconds apart, and the scenario's share is the median of
    the pairs' ratios. ``one(seconds)`` runs the scenario once.
    """
    if cfg.warmup:
        one(cfg.warmup)
    pairs = []
    for _ in range(cfg.runs):
        base = wrk.run(ceiling.url, ceiling.reqs, connections=cfg.connections,
                       seconds=cfg.seconds, token=ceiling.token)
        pairs.append((base, one(cfg.seconds)))
    runs = [r for _, r in pairs]
    return Row(
        size=None, scenario="",
        rps=statistics.median(r.rps for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors + r.bad_status for r in runs),
        of_ceiling=statistics.median(r.rps / b.rps if b.rps else 0.0 for b, r in pairs),
        ceiling_rps=statistics.median(b.rps for b, _ in pairs),
    )


def floor_for(cfg: Config, body: bytes, token: str) -> float:
    """The median p99 (ms) of the ceiling answering ``body`` one request at a time: the
    least any p99 alone of a scenario answering those bytes can be.

    A list page carries ten leads where the ceiling's own body is one, and the
    time to write and read the larger answer is in every p99 of that page.
    The ceiling is started with the body for these runs alone (on the server's
    CPU, as every ceiling) and stopped after.
    """
    path = cfg.work / "floor-body.json"
    path.write_bytes(body)
    logs = cfg.work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    srv = procs.ceiling(path, logs)
    try:
        reqs = wrk.write_requests(cfg.work / "floor.txt", [("GET", "/", "")])
        runs = [wrk.run(srv.url, reqs, connections=1, seconds=cfg.seconds, token=token)
                for _ in range(cfg.runs)]
    finally:
        srv.stop()
    return statistics.median(r.p99_ms for r in runs)


def paired_wrk(cfg: Config, url: str, reqs: Path, token: str) -> Callable[[float], wrk.Result]:
    """One run of a scenario's requests, for ``measure_paired``."""
    return lambda seconds: wrk.run(url, reqs, connections=cfg.connections, seconds=seconds,
                                   token=token)


def wanted(cfg: Config, name: str) -> bool:
    """Whether the run includes this scenario."""
    return cfg.only is None or name.startswith(cfg.only)


def record(res: Results, size: int, name: str, row: Row) -> Row:
    """Keep a scenario's row in the results (against the run's ceiling unless measured in
    pairs) and print it."""
    row.size, row.scenario = size, name
    if row.of_ceiling is None:  # not measured in pairs: against the run's ceiling
        row.of_ceiling = row.rps / res.ceilings[size] if res.ceilings.get(size) else None
    res.rows.append(row)
    print(f"  {name}: {row.rps:,.0f} rps, p99 {row.p99_ms:.1f} ms, errors {row.errors}", flush=True)
    return row


def slow_measure(cfg: Config, url: str, token: str) -> Row:
    """Sequential timed requests, for a request too slow for wrk's run length."""
    times: list[float] = []
    deadline = time.perf_counter() + cfg.seconds * cfg.runs
    while len(times) < 3 or time.perf_counter() < deadline:
        start = time.perf_counter()
        fetch(url, token)
        times.append(time.perf_counter() - start)
    times.sort()
    return Row(
        size=None, scenario="", rps=len(times) / sum(times),
        p99_ms=times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, errors=0,
        note="sequential requests (each slower than a wrk run)",
    )


def fetch(url: str, token: str) -> bytes:
    """The body of a GET with the token."""
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=300) as r:
        return bytes(r.read())


def post(url: str, body: bytes, token: str, content_type: str = "application/json") -> bytes:
    """The body of a POST with the token."""
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=300) as r:
        return bytes(r.read())

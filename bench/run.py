"""The benchmark run: data sets, ceiling, peers, every scenario, then docs/benchmarks.md."""

from __future__ import annotations

import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import dataset, procs, scenarios, stores, wrk
from bench.dataset import PORTAL
from bench.measure import Ceiling, fetch, measure, wanted
from bench.procs import ROOT
from bench.results import Config, Results, results_path, save, saved_runs


def _leadhub(*args: str) -> str:
    argv = [sys.executable, "-m", "leadhub", *args]
    return subprocess.run(
        argv, check=True, capture_output=True, text=True, env=procs.python_env()
    ).stdout.strip()


def new_store(cfg: Config, name: str) -> str:
    """A fresh migrated store of the run's kind with portal 1; returns its URL."""
    url = stores.create(cfg.store, cfg.work, name)
    _leadhub("portal", "create", "--id", str(PORTAL), "--database-url", url)
    return url


def build_store(cfg: Config, size: int, res: Results) -> tuple[str, Path]:
    """Scenario 7 as a side effect: load the data set by import and by plain executemany."""
    csv_path = dataset.write_csv(cfg.work / f"leads-{size}.csv", size, cfg.seed)
    url = new_store(cfg, f"store-{size}")
    start = time.perf_counter()
    subprocess.run(
        procs.pinned(procs.SERVER_CPU, [
            sys.executable, "-m", "leadhub", "import", "--portal", str(PORTAL), str(csv_path),
            "--database-url", url,
        ]),
        check=True, env=procs.python_env(), stdout=subprocess.DEVNULL,
    )
    imported = time.perf_counter() - start
    plain = new_store(cfg, f"plain-{size}")
    try:
        out = subprocess.run(
            procs.pinned(procs.SERVER_CPU, [sys.executable, "-m", "bench.plainload", plain,
                                            str(csv_path)]),
            check=True, capture_output=True, text=True, env=procs.python_env(), cwd=ROOT,
        ).stdout
    finally:
        stores.drop(plain)
    res.loads[size] = (imported, float(out.strip()))
    print(f"  load {size}: import {imported:.1f}s, plain executemany {float(out):.1f}s", flush=True)
    token = _leadhub("token", "create", "--portal", str(PORTAL), "--database-url", url)
    (cfg.work / f"token-{size}").write_text(token)
    return url, csv_path


def sample(csv_path: Path, size: int, k: int) -> list[dict[str, str]]:
    """A fixed random sample of the data set's rows."""
    picked = set(random.Random(7).sample(range(size), min(k, size)))
    with csv_path.open(newline="") as f:
        return [r for n, r in enumerate(csv.DictReader(f)) if n in picked]


def run_size(cfg: Config, size: int, res: Results) -> Path:
    """Every scenario on one data set size; returns the lead body used by ceiling and peers."""
    print(f"data set of {size:,} leads", flush=True)
    url, csv_path = build_store(cfg, size, res)
    try:
        return _run_size(cfg, size, res, url, csv_path)
    finally:
        if cfg.store != "sqlite":
            stores.drop(url)  # a million leads take gigabytes on the shared server


def _run_size(cfg: Config, size: int, res: Results, url: str, csv_path: Path) -> Path:
    store = url
    token = (cfg.work / f"token-{size}").read_text().strip()
    rows = sample(csv_path, size, cfg.sample)
    logs = cfg.work / "logs"
    logs.mkdir(exist_ok=True)
    srv = procs.leadhub(url, logs)
    ceiling_srv = None
    try:
        body = cfg.work / "lead.json"
        body.write_bytes(fetch(f"{srv.url}/leads/v1/lead/{rows[0]['guid']}", token))
        # The ceiling stays up (idle, on the same core) for the runs paired with it.
        ceiling_srv = procs.ceiling(body, logs)
        reqs = wrk.write_requests(cfg.work / "ceiling.txt", [("GET", "/", "")])
        ceiling = Ceiling(ceiling_srv.url, reqs, token)
        res.ceilings[size] = measure(cfg, ceiling.url, reqs, token).rps
        alone = [
            wrk.run(ceiling.url, reqs, connections=1, seconds=cfg.seconds, token=token)
            for _ in range(cfg.runs)
        ]
        res.floors[size] = (
            statistics.median(r.p50_ms for r in alone),
            statistics.median(r.p99_ms for r in alone),
        )
        print(f"  ceiling {res.ceilings[size]:,.0f} rps; one at a time p50 "
              f"{res.floors[size][0]:.3f} ms, p99 {res.floors[size][1]:.3f} ms", flush=True)
        scenarios.point_reads(cfg, size, srv, token, rows, res, store, ceiling)
        ids = [json.loads(fetch(f"{srv.url}/leads/v1/lead/{r['guid']}", token))[0]["leadId"]
               for r in rows]
        scenarios.v3_reads(cfg, size, srv, token, ids, store, res, ceiling)
        scenarios.lists(cfg, size, srv, token, store, res)
        scenarios.writes_and_mix(cfg, size, srv, token, rows, res)
        scenarios.v3_patch(cfg, size, srv, token, ids, res)
        res.memory[size] = srv.rss_kib()
        srv.stop()  # the form scenarios start servers of their own on the store
        from bench import forms

        if any(wanted(cfg, name) for name in forms.NAMES):
            forms.run(cfg, size, url, res, ceiling)
    finally:
        srv.stop()  # (stopping a stopped server does nothing)
        if ceiling_srv is not None:
            ceiling_srv.stop()
    return body


def main(cfg: Config) -> Results:
    """Run everything and write the report."""
    from bench import report, tools

    tools.ensure(peers=cfg.peers)
    cfg.work.mkdir(parents=True, exist_ok=True)
    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {procs.LOAD_CPU})
    res = Results(cfg, commit=report.commit(), started=report.utc_now(), machine=report.machine())
    try:
        body = None
        for size in cfg.sizes:
            body = run_size(cfg, size, res)
        if cfg.peers and body is not None:
            scenarios.run_peers(cfg, body, res)
    finally:
        os.sched_setaffinity(0, affinity)
    save(res, results_path(cfg.work, cfg.store))
    if cfg.out is not None:
        cfg.out.parent.mkdir(parents=True, exist_ok=True)
        report.write([res, *saved_runs(cfg.work, cfg.store)], cfg.out)
    return res

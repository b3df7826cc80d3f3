"""Form ingest (scenario 5): acknowledging posts, draining the queue, post to readable.

1. *Acknowledgement*: wrk posts new people's form submissions to a server
   whose worker is off, so every answer waits only for the durable commit of
   its submission row; the rate is divided by the ceiling.
2. *Drain*: ``leadhub worker`` then turns the queued submissions into leads;
   its rate (submissions/s, from the first done row on, for a bounded time)
   is compared with ``bench.plaindrain``, a plain executemany of the rows the
   worker writes for the same number of submissions into the same store.
3. *Post to readable*: against a server with its embedded worker, one
   submission at a time, the time from the post to the first v1 GET by email
   that finds the lead.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import sqlalchemy as sa

from bench import procs, wrk
from bench.dataset import PORTAL
from leadhub.store.db import normalize_url

if TYPE_CHECKING:
    from bench.measure import Ceiling
    from bench.results import Config, Results

FORM = "benchform"
FORM_PATH = f"/?app=leaddirector&FormName={FORM}"
URLENCODED = "application/x-www-form-urlencoded"
ACK = "form post: acknowledged (durable)"
NAMES = (ACK, "form drain", "form readable")
POSTS = 50_000  # distinct people in the request file; wrk starts each run where the last ended
MIN_QUEUED = 200  # submissions queued for the drain, at least


def fields(tag: str, n: int) -> dict[str, str]:
    """One person's form fields, as a landing page's server posts them."""
    return {
        "FirstName": "Ada", "LastName": f"Form{n}", "Email": f"ada.{tag}.{n}@forms.example.com",
        "Company": "Acme Labs", "JobTitle": "Engineer", "City": "Boston",
        "Country": "United States", "Phone": f"+1-555-{n % 10_000_000:07d}",
        "IPAddress": "203.0.113.7", "UserToken": f"{tag}-{n:08d}",
        "pageUrl": "https://www.example.com/demo", "pageName": "Demo request",
    }


def body(tag: str, n: int) -> str:
    """The urlencoded body of ``fields``."""
    return urlencode(fields(tag, n))


def _post_form(base_url: str, f: dict[str, str]) -> None:
    req = urllib.request.Request(
        base_url + FORM_PATH, data=urlencode(f).encode(), headers={"Content-Type": URLENCODED},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200


def _leadhub(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "leadhub", *args], check=True,
                   capture_output=True, env=procs.python_env())


def _done(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(
            sa.text("SELECT count(*) FROM submissions WHERE status = 'done'")).scalar_one())


def _queued(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT count(*) FROM submissions WHERE status IN ('pending', 'processing')"
        )).scalar_one())


def run(cfg: Config, size: int, url: str, res: Results, ceiling: Ceiling) -> None:
    """Every form scenario on the store at ``url`` (the API server stopped); the
    acknowledgement rate is measured in runs paired with the ceiling's."""
    from bench.measure import measure_paired, record, wanted

    logs = cfg.work / "logs"
    _leadhub("form", "create", "--portal", str(PORTAL), "--name", FORM, "--database-url", url)
    engine = sa.create_engine(normalize_url(url))
    try:
        tag = f"s{size}"
        reqs = wrk.write_requests(
            cfg.work / "form-posts.txt",
            [("POST", FORM_PATH, body(tag, n)) for n in range(POSTS)], content_type=URLENCODED,
        )
        srv = procs.leadhub(url, logs, "--no-worker")
        try:
            done = 0

            def one(seconds: float) -> wrk.Result:
                nonlocal done  # every run posts people not posted before
                r = wrk.run(srv.url, reqs, connections=cfg.connections, seconds=seconds,
                            start=done)
                done += r.requests
                return r

            row = measure_paired(cfg, one, ceiling)
            # The drain needs more than the worker's first batch queued to have a rate;
            # a slow disk can leave a short acknowledgement run with only a few posts.
            for n in range(done, MIN_QUEUED):
                _post_form(srv.url, fields(tag, n))
        finally:
            srv.stop()
        if wanted(cfg, ACK):
            record(res, size, ACK, row)
        if wanted(cfg, "form drain"):
            _drain(cfg, size, url, engine, res)
        with engine.begin() as conn:  # what a bounded drain left is not part of later scenarios
            conn.execute(sa.text("DELETE FROM submissions WHERE status <> 'done'"))
        if wanted(cfg, "form readable"):
            _readable(cfg, size, url, res, logs)
    finally:
        engine.dispose()


def _drain(cfg: Config, size: int, url: str, engine: sa.Engine, res: Results) -> None:
    logs = cfg.work / "logs"
    before = _done(engine)
    budget = max(5.0, 3 * cfg.runs * cfg.seconds)
    proc = procs.worker(url, logs)
    try:
        deadline = time.monotonic() + 120
        while (first := _done(engine)) == before:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker processed nothing:\n{logs / 'worker.log'}")
            time.sleep(0.05)
        start = time.perf_counter()
        end_by = start + budget
        while time.perf_counter() < end_by and _queued(engine):
            time.sleep(0.05)
        last = _done(engine)
        spent = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(30)
    drained = last - first
    rate = drained / spent if spent else 0.0
    out = subprocess.run(
        procs.pinned(procs.SERVER_CPU, [sys.executable, "-m", "bench.plaindrain", url,
                                        str(max(drained, 10))]),
        check=True, capture_output=True, text=True, env=procs.python_env(), cwd=procs.ROOT,
    ).stdout
    plain = max(drained, 10) / float(out.strip())
    res.drains[size] = (rate, plain, drained)
    print(f"  form drain: {rate:,.0f} submissions/s ({drained} in {spent:.1f}s); "
          f"plain executemany {plain:,.0f}/s", flush=True)


def _readable(cfg: Config, size: int, url: str, res: Results, logs: Path) -> None:
    srv = procs.leadhub(url, logs)
    try:
        times = []
        samples = max(5, min(100, int(cfg.seconds * cfg.runs * 10)))
        for n in range(samples):
            f = fields(f"r{size}", n)
            lookup = f"{srv.url}/leads/v1/lead?" + urlencode({"email": f["Email"]})
            token = (cfg.work / f"token-{size}").read_text().strip()
            start = time.perf_counter()
            _post_form(srv.url, f)
            deadline = start + 60
            while True:
                try:
                    get = urllib.request.Request(
                        lookup, headers={"Authorization": f"Bearer {token}"})
                    with urllib.request.urlopen(get, timeout=30) as r:
                        r.read()
                        break
                except urllib.error.HTTPError as e:
                    if e.code != 404 or time.perf_counter() > deadline:
                        raise
                time.sleep(0.002)
            times.append((time.perf_counter() - start) * 1000)
    finally:
        srv.stop()
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    res.readable[size] = (statistics.median(times), p99, len(times))
    print(f"  form post to readable: p50 {res.readable[size][0]:.0f} ms, p99 {p99:.0f} ms",
          flush=True)

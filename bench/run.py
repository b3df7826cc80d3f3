"""The benchmark run: data sets, ceiling, peers, every scenario, then docs/benchmarks.md."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench import dataset, plainsql, procs, stores, wrk
from bench.procs import ROOT, Server

PORTAL = 1
# HubSpot's OpenAPI files sit beside the repository, in shared/spec/hubspot.
SPEC_DIR = Path(os.environ.get("LEADHUB_SPEC_DIR", ROOT.parent / "shared" / "spec" / "hubspot"))


@dataclass
class Config:
    """How big and how long."""

    sizes: list[int]
    runs: int = 3
    seconds: float = 3.0
    warmup: float = 2.0
    connections: int = 32
    sample: int = 1000
    peers: bool = True
    # "sqlite" (a file in ``work``) or "postgresql" (a database of its own, see bench/stores.py).
    store: str = "sqlite"
    # Run only the scenarios whose names start with one of these (None: all).
    only: tuple[str, ...] | None = None
    work: Path = ROOT / "bench" / ".data"
    out: Path | None = ROOT / "docs" / "benchmarks.md"


@dataclass
class Row:
    """One measured scenario."""

    size: int | None
    scenario: str
    rps: float
    p99_ms: float
    errors: int
    of_ceiling: float | None = None
    plain_ms: float | None = None
    p99_c1_ms: float | None = None
    same_rows: bool | None = None
    note: str = ""
    # The ceiling's rate in the runs paired with this scenario's (see ``measure_paired``).
    ceiling_rps: float | None = None


@dataclass
class Results:
    """Everything one run measured."""

    config: Config
    rows: list[Row] = field(default_factory=list)
    ceilings: dict[int, float] = field(default_factory=dict)
    # The ceiling answering one request at a time (one connection, as the lists are
    # measured): p50 and p99 ms, the floor under any p99 measured that way.
    floors: dict[int, tuple[float, float]] = field(default_factory=dict)
    peers: dict[str, float] = field(default_factory=dict)
    loads: dict[int, tuple[float, float]] = field(default_factory=dict)
    memory: dict[int, tuple[int, int]] = field(default_factory=dict)
    # Form ingest (scenario 5): queue drain in submissions/s and the plain baseline's rate,
    # with the number of submissions drained; post-to-readable p50 and p99 ms, samples.
    drains: dict[int, tuple[float, float, int]] = field(default_factory=dict)
    readable: dict[int, tuple[float, float, int]] = field(default_factory=dict)
    # What was measured and when: the commit (``-dirty`` with uncommitted changes),
    # the UTC start time and the machine; the report is often written later.
    commit: str = ""
    started: str = ""
    machine: str = ""


# A run that answered fewer requests than this has no rate or p99 worth the name: wrk
# counts only the requests answered within its duration, so a request slower than the
# run leaves it empty. Such runs are made longer, up to MAX_RUN_SECONDS.
MIN_REQUESTS = 3
# Reads of leads never read before (scenario 1, beside the reads of the sample read before),
# from at most this many leads: more than a warm-up and three paired runs read here.
FIRST_READ = "v1 get lead by guid, first read"
# hubspot3's and hapipy's get_lead: a list restricted to the lead's guid.
LEGACY_GET = "v1 get lead by guid as hubspot3 does (list?guids[0]=)"
# The official client's basic_api.get_by_id(id, properties=[...], archived=False).
V3_NAMED = "v3 get lead by id with properties and archived=false"
# The official client's basic_api.get_page(limit=10, after=..., archived=False).
V3_PAGE = "v3 list page of 10 leads as the official client's get_page"
COLD_READ = "v1 get lead by guid, no stored document"
FIRST_READS_MAX = 200_000
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
    csv_path = dataset.write_csv(cfg.work / f"leads-{size}.csv", size)
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


def list_cases() -> dict[str, dict[str, str]]:
    """The v1 list requests measured (scenario 2)."""
    week = 7 * 86_400_000
    middle = dataset.START_MS + dataset.SPAN_MS // 2
    return {
        "v1 list: search rare term, sort lastName": {
            "search": dataset.RARE_TERM, "sort": "lastName", "dir": "asc"},
        "v1 list: search common term, sort insertedAt": {
            "search": dataset.COMMON_TERM, "sort": "insertedAt", "dir": "desc"},
        "v1 list: search two-letter term, sort lastModifiedAt": {
            "search": dataset.SHORT_TERM, "sort": "lastModifiedAt", "dir": "desc"},
        "v1 list: one-week insertedAt window": {
            "timePivot": "insertedAt", "startTime": str(middle), "stopTime": str(middle + week),
            "sort": "insertedAt", "dir": "asc"},
        "v1 list: offset 10,000": {"offset": "10000", "sort": "lastModifiedAt"},
    }


def _fetch(url: str, token: str) -> bytes:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=300) as r:
        return bytes(r.read())


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
        body.write_bytes(_fetch(f"{srv.url}/leads/v1/lead/{rows[0]['guid']}", token))
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
        _point_reads(cfg, size, srv, token, rows, res, store, ceiling)
        ids = [json.loads(_fetch(f"{srv.url}/leads/v1/lead/{r['guid']}", token))[0]["leadId"]
               for r in rows]
        _v3_reads(cfg, size, srv, token, ids, store, res, ceiling)
        _lists(cfg, size, srv, token, store, res)
        _writes_and_mix(cfg, size, srv, token, rows, res)
        _v3_patch(cfg, size, srv, token, ids, res)
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


def _paired_wrk(cfg: Config, url: str, reqs: Path, token: str) -> Callable[[float], wrk.Result]:
    """One run of a scenario's requests, for ``measure_paired``."""
    return lambda seconds: wrk.run(url, reqs, connections=cfg.connections, seconds=seconds,
                                   token=token)


def wanted(cfg: Config, name: str) -> bool:
    """Whether the run includes this scenario."""
    return cfg.only is None or name.startswith(cfg.only)


def _record(res: Results, size: int, name: str, row: Row) -> Row:
    row.size, row.scenario = size, name
    if row.of_ceiling is None:  # not measured in pairs: against the run's ceiling
        row.of_ceiling = row.rps / res.ceilings[size] if res.ceilings.get(size) else None
    res.rows.append(row)
    print(f"  {name}: {row.rps:,.0f} rps, p99 {row.p99_ms:.1f} ms, errors {row.errors}", flush=True)
    return row


def warm(srv: Server, token: str, rows: list[dict[str, str]], store: str) -> None:
    """Read every sampled lead twice and wait until their documents are stored.

    The point-read scenarios measure the steady state, reads of leads that
    have been read before; a lead's second read without a stored document
    stores one. Reads of leads never read before are a scenario of their own
    (``FIRST_READ``, ``COLD_READ``).
    """
    for _ in range(2):
        for r in rows:
            _fetch(f"{srv.url}/leads/v1/lead/{r['guid']}", token)
    guids = [r["guid"] for r in rows]
    deadline = time.monotonic() + 120
    con = stores.connect(store, readonly=True)
    try:
        while time.monotonic() < deadline:
            marks = ",".join("?" * len(guids))
            query = (
                "SELECT count(*) FROM lead_documents WHERE portal_id = ? AND doc IS NOT NULL "
                f"AND guid IN ({marks})"
            )
            stored = con.execute(stores.sql(con, query), (PORTAL, *guids)).fetchone()[0]
            if stored >= len(guids):
                return
            time.sleep(0.2)
    finally:
        con.close()
    print("  warning: not every sampled lead's document was stored", flush=True)


def slow_measure(cfg: Config, url: str, token: str) -> Row:
    """Sequential timed requests, for a request too slow for wrk's run length."""
    times: list[float] = []
    deadline = time.perf_counter() + cfg.seconds * cfg.runs
    while len(times) < 3 or time.perf_counter() < deadline:
        start = time.perf_counter()
        _fetch(url, token)
        times.append(time.perf_counter() - start)
    times.sort()
    return Row(
        size=None, scenario="", rps=len(times) / sum(times),
        p99_ms=times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, errors=0,
        note="sequential requests (each slower than a wrk run)",
    )


def _point_reads(
    cfg: Config, size: int, srv: Server, token: str, rows, res: Results, store: str,
    ceiling: Ceiling,
) -> None:
    by_guid = wrk.write_requests(
        cfg.work / "get-guid.txt", [("GET", f"/leads/v1/lead/{r['guid']}", "") for r in rows]
    )
    by_email = wrk.write_requests(
        cfg.work / "get-email.txt",
        [("GET", "/leads/v1/lead?" + urlencode({"email": r["email"]}), "") for r in rows],
    )
    legacy = wrk.write_requests(
        cfg.work / "get-legacy.txt",
        [("GET", "/leads/v1/list/?" + urlencode({"guids[0]": r["guid"]}), "") for r in rows],
    )
    warm(srv, token, rows, store)
    for name, reqs in (("v1 get lead by guid", by_guid), ("v1 get lead by email", by_email),
                       (LEGACY_GET, legacy)):
        if wanted(cfg, name):
            _record(res, size, name,
                    measure_paired(cfg, _paired_wrk(cfg, srv.url, reqs, token), ceiling))
    pool = unread(cfg.work / f"leads-{size}.csv", rows, FIRST_READS_MAX)
    if wanted(cfg, FIRST_READ):
        _first_reads(cfg, size, srv, token, pool[:len(pool) // 2], res, ceiling, FIRST_READ,
                     store)
    if wanted(cfg, COLD_READ):
        drop_documents(store, pool)
        _first_reads(cfg, size, srv, token, pool, res, ceiling, COLD_READ, store)


def unread(csv_path: Path, rows: list[dict[str, str]], k: int) -> list[str]:
    """Guids of ``k`` leads outside the sample, in a fixed random order."""
    sampled = {r["guid"] for r in rows}
    with csv_path.open(newline="") as f:
        guids = [r["guid"] for r in csv.DictReader(f) if r["guid"] not in sampled]
    random.Random(11).shuffle(guids)
    return guids[:k]


def drop_documents(store: str, guids: list[str]) -> None:
    """Drop these leads' stored documents, as a change by another program would (on
    PostgreSQL its triggers empty them and bump their versions, migration 0014)."""
    con = stores.connect(store)
    drop = (
        "DELETE FROM lead_documents" if store.startswith("sqlite")
        else "UPDATE lead_documents SET doc = NULL, version = version + 1"
    )
    try:
        for at in range(0, len(guids), 500):
            chunk = guids[at:at + 500]
            marks = ",".join("?" * len(chunk))
            query = f"{drop} WHERE portal_id = ? AND guid IN ({marks})"
            con.execute(stores.sql(con, query), (PORTAL, *chunk))
        con.commit()
    finally:
        con.close()


def cached_share(store: str) -> float | None:
    """The share of a SQLite store's file in the operating system's page cache (util-linux
    ``fincore``); None for PostgreSQL or where fincore is missing."""
    if not store.startswith("sqlite:///") or shutil.which("fincore") is None:
        return None
    out = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES,SIZE", store[len("sqlite:///"):]],
        capture_output=True, text=True, check=False,
    ).stdout.split()
    if len(out) != 2 or not out[1].isdigit() or int(out[1]) == 0:
        return None
    return int(out[0]) / int(out[1])


def _first_reads(
    cfg: Config, size: int, srv: Server, token: str, guids: list[str], res: Results,
    ceiling: Ceiling, name: str, store: str,
) -> None:
    """v1 GETs by guid of leads never read before (or not since their documents went),
    each once while there are enough."""
    reqs = wrk.write_requests(
        cfg.work / "get-first.txt", [("GET", f"/leads/v1/lead/{g}", "") for g in guids]
    )
    done = 0

    def one(seconds: float) -> wrk.Result:
        nonlocal done  # every run reads leads the runs before did not
        r = wrk.run(srv.url, reqs, connections=cfg.connections, seconds=seconds, token=token,
                    start=done % len(guids))
        done += r.requests
        return r

    cached = cached_share(store)
    row = measure_paired(cfg, one, ceiling)
    row.note = f"{done:,} reads of {len(guids):,} leads" + (
        "; more reads than leads: some were second reads" if done > len(guids) else "") + (
        f"; {cached:.0%} of the store's file in the page cache before" if cached is not None
        else "")
    _record(res, size, name, row)


def _v3_reads(
    cfg: Config, size: int, srv: Server, token: str, ids: list[int], store: str, res: Results,
    ceiling: Ceiling,
) -> None:
    name = "v3 get lead by id"
    if wanted(cfg, name):
        reqs = wrk.write_requests(
            cfg.work / "v3-get.txt", [("GET", f"/crm/v3/objects/leads/{i}", "") for i in ids]
        )
        _record(res, size, name,
                measure_paired(cfg, _paired_wrk(cfg, srv.url, reqs, token), ceiling))
    if wanted(cfg, V3_NAMED):
        named = urlencode({
            "properties": "hs_lead_name,hs_lead_type,hs_pipeline_stage", "archived": "false"})
        reqs = wrk.write_requests(
            cfg.work / "v3-get-named.txt",
            [("GET", f"/crm/v3/objects/leads/{i}?{named}", "") for i in ids],
        )
        _record(res, size, V3_NAMED,
                measure_paired(cfg, _paired_wrk(cfg, srv.url, reqs, token), ceiling))
    if wanted(cfg, V3_PAGE):
        reqs = wrk.write_requests(cfg.work / "v3-page.txt", [
            ("GET", "/crm/v3/objects/leads?" + urlencode(
                {"limit": "10", "after": str(i), "archived": "false"}), "")
            for i in ids
        ])
        _record(res, size, V3_PAGE, measure(cfg, srv.url, reqs, token))
    name = "v3 search: one month created, raw score >= 250, sort last modified"
    if not wanted(cfg, name):
        return
    body, _ = plainsql.search_case()
    raw = json.dumps(body, separators=(",", ":"))
    reqs = wrk.write_requests(
        cfg.work / "v3-search.txt", [("POST", "/crm/v3/objects/leads/search", raw)]
    )
    # One connection, as the lists: the p99 of one search at a time against the plain SQL.
    row = measure(cfg, srv.url, reqs, token, connections=1)
    row.p99_c1_ms = row.p99_ms
    row.plain_ms, ids_sql, total = plainsql.time_search(store, cfg.seconds)
    served = json.loads(_post(srv.url + "/crm/v3/objects/leads/search", raw.encode(), token))
    row.same_rows = [x["id"] for x in served["results"]] == ids_sql and served["total"] == total
    row.note = f"{total:,} matches"
    _record(res, size, name, row)


def _v3_patch(
    cfg: Config, size: int, srv: Server, token: str, ids: list[int], res: Results
) -> None:
    name = "v3 update lead (PATCH)"
    if not wanted(cfg, name):
        return
    rng = random.Random(13)
    patches = [
        ("PATCH", f"/crm/v3/objects/leads/{i}", json.dumps(
            {"properties": {"leadhub_raw_score": str(rng.randrange(1000)),
                            "hs_lead_label": rng.choice(("HOT", "WARM", "COLD"))}},
            separators=(",", ":")))
        for i in ids
    ]
    reqs = wrk.write_requests(cfg.work / "v3-patch.txt", patches)
    _record(res, size, name, measure(cfg, srv.url, reqs, token))


def _post(url: str, body: bytes, token: str, content_type: str = "application/json") -> bytes:
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=300) as r:
        return bytes(r.read())


def _lists(cfg: Config, size: int, srv: Server, token: str, store: str, res: Results) -> None:
    for name, params in list_cases().items():
        if not wanted(cfg, name):
            continue
        target = "/leads/v1/list?" + urlencode(params)
        reqs = wrk.write_requests(cfg.work / "list.txt", [("GET", target, "")])
        # One connection: a search that scans every contact takes seconds on a million
        # leads, and more connections would only queue behind it.
        row = measure(cfg, srv.url, reqs, token, connections=1)
        if row.rps * cfg.seconds < 5:
            row = slow_measure(cfg, srv.url + target, token)
        row.p99_c1_ms = row.p99_ms
        sql, args = plainsql.list_sql(params, PORTAL)
        row.plain_ms, guids = plainsql.time_query(store, sql, args, cfg.seconds)
        served = json.loads(_fetch(srv.url + target, token))
        row.same_rows = [x["guid"] for x in served] == guids
        _record(res, size, name, row)


def _writes_and_mix(cfg: Config, size: int, srv: Server, token: str, rows, res: Results) -> None:
    rng = random.Random(11)
    updates = [
        ("PUT", f"/leads/v1/lead/{r['guid']}",
         json.dumps({"guid": r["guid"], "rawScore": rng.randrange(1000)}, separators=(",", ":")))
        for r in rows
    ]
    reqs = wrk.write_requests(cfg.work / "update.txt", updates)
    if wanted(cfg, "v1 update lead"):
        _record(res, size, "v1 update lead", measure(cfg, srv.url, reqs, token))
    if not wanted(cfg, "mix"):
        return
    # The rare-term search scans every contact (seconds on a million leads); it is
    # measured on its own above and left out of the mix.
    lists = [
        "/leads/v1/list?" + urlencode(p) for name, p in list_cases().items() if "rare" not in name
    ]
    mix = []
    for n in range(2000):
        roll = rng.random()
        if roll < 0.80:
            mix.append(("GET", f"/leads/v1/lead/{rows[n % len(rows)]['guid']}", ""))
        elif roll < 0.95:
            mix.append(("GET", lists[n % len(lists)], ""))
        else:
            mix.append(updates[n % len(updates)])
    reqs = wrk.write_requests(cfg.work / "mix.txt", mix)
    _record(res, size, "mix: 80% reads, 15% lists, 5% updates", measure(cfg, srv.url, reqs, token))


def run_peers(cfg: Config, body: Path, res: Results) -> None:
    """json-server and Prism serving the same lead, measured like the ceiling."""
    from bench import tools

    logs = cfg.work / "logs"
    lead = json.loads(body.read_bytes())[0]
    db_json = cfg.work / "json-server-db.json"
    db_json.write_text(json.dumps({"leads": [{**lead, "id": lead["guid"]}]}))
    reqs = wrk.write_requests(cfg.work / "peer-json.txt", [("GET", f"/leads/{lead['guid']}", "")])
    srv = procs.json_server(tools.NODE_BIN, db_json, logs)
    try:
        res.peers["json-server"] = measure(cfg, srv.url, reqs, "bench").rps
    finally:
        srv.stop()
    spec_file = SPEC_DIR / "crm-leads-v3.json"
    if not spec_file.exists():
        print(f"  Prism skipped: {spec_file} is missing", flush=True)
        return
    spec_path = _prism_spec(cfg, json.loads(spec_file.read_text()), lead)
    path = "/crm/v3/objects/leads/1"
    srv = procs.prism(tools.NODE_BIN, spec_path, logs, path)
    try:
        reqs = wrk.write_requests(cfg.work / "peer-prism.txt", [("GET", path, "")])
        res.peers["Prism"] = measure(cfg, srv.url, reqs, "bench").rps
    finally:
        srv.stop()
    for name, rps in res.peers.items():
        print(f"  {name}: {rps:,.0f} rps", flush=True)


def _prism_spec(cfg: Config, spec: dict, lead: dict) -> Path:
    from bench.spec import leads_spec

    path = cfg.work / "crm-leads-v3.json"
    path.write_text(json.dumps(leads_spec(spec, lead)))
    return path


def save(res: Results, path: Path) -> None:
    """Keep a run's results, so that the report can be written again from them."""
    data = asdict(res)
    data["config"] = {**data["config"], "work": str(res.config.work),
                      "out": str(res.config.out)}
    path.write_text(json.dumps(data, indent=1))


def load(path: Path) -> Results:
    """Results saved by ``save``."""
    data = json.loads(path.read_text())
    c = data["config"]
    cfg = Config(**{**c, "work": Path(c["work"]), "out": Path(c["out"]) if c["out"] else None,
                    "only": tuple(c["only"]) if c["only"] else None})
    return Results(
        config=cfg,
        rows=[Row(**r) for r in data["rows"]],
        ceilings={int(k): v for k, v in data["ceilings"].items()},
        floors={int(k): tuple(v) for k, v in data.get("floors", {}).items()},  # type: ignore[misc]
        peers=data["peers"],
        loads={int(k): tuple(v) for k, v in data["loads"].items()},  # type: ignore[misc]
        memory={int(k): tuple(v) for k, v in data["memory"].items()},  # type: ignore[misc]
        drains={int(k): tuple(v) for k, v in data.get("drains", {}).items()},  # type: ignore[misc]
        readable={
            int(k): tuple(v) for k, v in data.get("readable", {}).items()  # type: ignore[misc]
        },
        commit=data.get("commit", ""),
        started=data.get("started", ""),
        machine=data.get("machine", ""),
    )


def results_path(work: Path, store: str) -> Path:
    """Where a run on this kind of store keeps its results."""
    return work / ("results.json" if store == "sqlite" else f"results-{store}.json")


def saved_runs(work: Path, besides: str) -> list[Results]:
    """The last saved runs on the other kinds of store, for the report's other sections."""
    paths = [results_path(work, kind) for kind in stores.KINDS if kind != besides]
    return [load(p) for p in paths if p.exists()]


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
            run_peers(cfg, body, res)
    finally:
        os.sched_setaffinity(0, affinity)
    save(res, results_path(cfg.work, cfg.store))
    if cfg.out is not None:
        cfg.out.parent.mkdir(parents=True, exist_ok=True)
        report.write([res, *saved_runs(cfg.work, cfg.store)], cfg.out)
    return res

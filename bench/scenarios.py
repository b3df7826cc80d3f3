"""The scenarios measured on a running server (point reads, v3 reads and search, lists,
updates, the mix) and the peers; the form scenarios are in bench/forms.py."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import dataset, plainsql, procs, stores, wrk
from bench.dataset import PORTAL
from bench.measure import (
    Ceiling,
    fetch,
    floor_for,
    measure,
    measure_paired,
    paired_wrk,
    post,
    record,
    slow_measure,
    wanted,
)
from bench.procs import ROOT, Server
from bench.results import Config, Results

# HubSpot's OpenAPI files sit beside the repository, in shared/spec/hubspot.
SPEC_DIR = Path(os.environ.get("LEADHUB_SPEC_DIR", ROOT.parent / "shared" / "spec" / "hubspot"))

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


def warm(srv: Server, token: str, rows: list[dict[str, str]], store: str) -> None:
    """Read every sampled lead twice and wait until their documents are stored.

    The point-read scenarios measure the steady state, reads of leads that
    have been read before; a lead's second read without a stored document
    stores one. Reads of leads never read before are a scenario of their own
    (``FIRST_READ``, ``COLD_READ``).
    """
    for _ in range(2):
        for r in rows:
            fetch(f"{srv.url}/leads/v1/lead/{r['guid']}", token)
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


def point_reads(
    cfg: Config, size: int, srv: Server, token: str, rows, res: Results, store: str,
    ceiling: Ceiling,
) -> None:
    """Scenario 1, v1: by guid, by email and as hubspot3 reads, each paired with the
    ceiling; then first reads, and reads without a stored document."""
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
            record(res, size, name,
                    measure_paired(cfg, paired_wrk(cfg, srv.url, reqs, token), ceiling))
    pool = unread(cfg.work / f"leads-{size}.csv", rows, FIRST_READS_MAX)
    if wanted(cfg, FIRST_READ):
        first_reads(cfg, size, srv, token, pool[:len(pool) // 2], res, ceiling, FIRST_READ,
                     store)
    if wanted(cfg, COLD_READ):
        drop_documents(store, pool)
        first_reads(cfg, size, srv, token, pool, res, ceiling, COLD_READ, store)


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


def first_reads(
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
    record(res, size, name, row)


def v3_reads(
    cfg: Config, size: int, srv: Server, token: str, ids: list[int], store: str, res: Results,
    ceiling: Ceiling,
) -> None:
    """Scenarios 1 and 3, v3: GET by id (plain and as the official client asks), a page
    as the official client's ``get_page``, and the search against its plain SQL."""
    name = "v3 get lead by id"
    if wanted(cfg, name):
        reqs = wrk.write_requests(
            cfg.work / "v3-get.txt", [("GET", f"/crm/v3/objects/leads/{i}", "") for i in ids]
        )
        record(res, size, name,
                measure_paired(cfg, paired_wrk(cfg, srv.url, reqs, token), ceiling))
    if wanted(cfg, V3_NAMED):
        named = urlencode({
            "properties": "hs_lead_name,hs_lead_type,hs_pipeline_stage", "archived": "false"})
        reqs = wrk.write_requests(
            cfg.work / "v3-get-named.txt",
            [("GET", f"/crm/v3/objects/leads/{i}?{named}", "") for i in ids],
        )
        record(res, size, V3_NAMED,
                measure_paired(cfg, paired_wrk(cfg, srv.url, reqs, token), ceiling))
    if wanted(cfg, V3_PAGE):
        reqs = wrk.write_requests(cfg.work / "v3-page.txt", [
            ("GET", "/crm/v3/objects/leads?" + urlencode(
                {"limit": "10", "after": str(i), "archived": "false"}), "")
            for i in ids
        ])
        record(res, size, V3_PAGE, measure(cfg, srv.url, reqs, token))
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
    answer = post(srv.url + "/crm/v3/objects/leads/search", raw.encode(), token)
    served = json.loads(answer)
    row.same_rows = [x["id"] for x in served["results"]] == ids_sql and served["total"] == total
    row.floor_p99_ms = floor_for(cfg, answer, token)
    row.note = f"{total:,} matches"
    record(res, size, name, row)


# One line of a request file: method, target, body (bench/wrk.py ``write_requests``).
Request = tuple[str, str, str]


def patch_requests(ids: list[int], rng: random.Random) -> list[Request]:
    """v3 PATCHes of two properties of each lead, every lead's first then every lead's
    second (``two_values`` of each): each one changes its lead, wrk's return to the
    file's start included."""
    labels = ("HOT", "WARM", "COLD")
    scores, picks = two_values(rng, len(ids), 1000), two_values(rng, len(ids), len(labels))
    return [
        ("PATCH", f"/crm/v3/objects/leads/{i}", json.dumps(
            {"properties": {"leadhub_raw_score": str(scores[k][turn]),
                            "hs_lead_label": labels[picks[k][turn]]}},
            separators=(",", ":")))
        for turn in (0, 1) for k, i in enumerate(ids)
    ]


def v3_patch(
    cfg: Config, size: int, srv: Server, token: str, ids: list[int], res: Results
) -> None:
    """Scenario 4, v3: PATCH of two properties of the sampled leads."""
    name = "v3 update lead (PATCH)"
    if not wanted(cfg, name):
        return
    reqs = wrk.write_requests(cfg.work / "v3-patch.txt", patch_requests(ids, random.Random(13)))
    record(res, size, name, measure(cfg, srv.url, reqs, token))


def lists(cfg: Config, size: int, srv: Server, token: str, store: str, res: Results) -> None:
    """Scenario 2: each v1 list, one request at a time, against its plain SQL."""
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
        answer = fetch(srv.url + target, token)
        row.same_rows = [x["guid"] for x in json.loads(answer)] == guids
        row.floor_p99_ms = floor_for(cfg, answer, token)
        record(res, size, name, row)


def two_values(rng: random.Random, count: int, choices: int) -> list[tuple[int, int]]:
    """For each of ``count`` leads two different values of ``range(choices)``: the
    update files send a lead's first, then (a pass later) its second, so that every
    update changes what it updates, wrk's return to the file's start included (an
    update to the value the lead already has writes nothing)."""
    pairs = []
    for _ in range(count):
        first = rng.randrange(choices)
        pairs.append((first, (first + 1 + rng.randrange(choices - 1)) % choices))
    return pairs


def update_requests(rows: list[dict[str, str]], rng: random.Random) -> list[list[Request]]:
    """For each sampled lead, its two v1 PUTs (``two_values`` of its raw score)."""
    def put(guid: str, score: int) -> Request:
        body = json.dumps({"guid": guid, "rawScore": score}, separators=(",", ":"))
        return ("PUT", f"/leads/v1/lead/{guid}", body)

    return [[put(r["guid"], v) for v in pair]
            for r, pair in zip(rows, two_values(rng, len(rows), 1000), strict=True)]


def mix_requests(
    rows: list[dict[str, str]], lists: list[str], puts: list[list[Request]], rng: random.Random,
    count: int = 2000,
) -> list[Request]:
    """``count`` requests, 80% reads by guid, 15% lists, 5% updates, twice over: each
    update of a lead sends the other of its two PUTs, so every update changes the lead,
    also when wrk starts the file again (each lead's updates are even in number)."""
    kinds = [rng.random() for _ in range(count)]
    mix: list[Request] = []
    turns = [0] * len(rows)
    for n, roll in enumerate(kinds * 2):
        k = n % len(rows)
        if roll < 0.80:
            mix.append(("GET", f"/leads/v1/lead/{rows[k]['guid']}", ""))
        elif roll < 0.95:
            mix.append(("GET", lists[n % len(lists)], ""))
        else:
            mix.append(puts[k][turns[k] % 2])
            turns[k] += 1
    return mix


def writes_and_mix(cfg: Config, size: int, srv: Server, token: str, rows, res: Results) -> None:
    """Scenarios 4 and 6: v1 PUT of the sampled leads, then the mix of reads, lists and
    those updates."""
    rng = random.Random(11)
    puts = update_requests(rows, rng)
    # Every lead's first PUT, then every lead's second: each one changes its lead.
    reqs = wrk.write_requests(
        cfg.work / "update.txt", [pair[turn] for turn in (0, 1) for pair in puts])
    if wanted(cfg, "v1 update lead"):
        record(res, size, "v1 update lead", measure(cfg, srv.url, reqs, token))
    if not wanted(cfg, "mix"):
        return
    # The rare-term search scans every contact (seconds on a million leads); it is
    # measured on its own above and left out of the mix.
    lists = [
        "/leads/v1/list?" + urlencode(p) for name, p in list_cases().items() if "rare" not in name
    ]
    reqs = wrk.write_requests(cfg.work / "mix.txt", mix_requests(rows, lists, puts, rng))
    record(res, size, "mix: 80% reads, 15% lists, 5% updates", measure(cfg, srv.url, reqs, token))


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

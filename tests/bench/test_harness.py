"""The benchmark harness itself, run on a tiny data set for a second so it cannot rot.

No timing is asserted: only that every stage runs and reports what it measured.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bench import dataset, plainsql
from bench.dataset import PORTAL
from bench.report import render
from bench.results import Config, load
from bench.run import main, sample
from bench.scenarios import (
    COLD_READ,
    FIRST_READ,
    LEGACY_GET,
    V3_NAMED,
    V3_PAGE,
    cached_share,
    drop_documents,
    list_cases,
    unread,
)

pytestmark = [
    pytest.mark.bench,
    pytest.mark.skipif(
        shutil.which("wrk") is None or shutil.which("taskset") is None,
        reason="wrk is not installed (make bench installs it)",
    ),
]


def test_dataset_is_the_same_for_the_same_seed():
    first = list(dataset.rows(50))
    assert first == list(dataset.rows(50))
    assert first != list(dataset.rows(50, seed=1))
    assert len({r["email"] for r in first}) == 50


def test_plain_sql_of_a_list_case_has_its_filters():
    sql, args = plainsql.list_sql(list_cases()["v1 list: one-week insertedAt window"], 1)
    assert "l.created_at BETWEEN :start AND :stop" in sql and "ORDER BY l.created_at ASC" in sql
    assert args["stop"] > args["start"]


def test_harness_measures_a_point_read_and_a_list(tmp_path):
    out = tmp_path / "benchmarks.md"
    cfg = Config(
        sizes=[300], runs=1, seconds=1, warmup=0, connections=2, sample=20, peers=False,
        only=("v1 get lead by guid", "v1 list: one-week"), work=tmp_path, out=out, seed=3,
    )
    res = main(cfg)
    # The run's data set is that of its seed.
    assert (tmp_path / "leads-300.csv").read_text() == \
        dataset.write_csv(tmp_path / "seed-3.csv", 300, 3).read_text()
    assert res.ceilings[300] > 0
    p50, p99 = res.floors[300]
    assert 0 < p50 <= p99
    imported, plain = res.loads[300]
    assert imported > 0 and plain > 0
    names = [r.scenario for r in res.rows]
    assert names == [
        "v1 get lead by guid", LEGACY_GET, FIRST_READ, COLD_READ,
        "v1 list: one-week insertedAt window",
    ]
    read, legacy, first, cold, listed = res.rows
    assert read.rps > 0 and read.errors == 0
    assert legacy.rps > 0 and legacy.errors == 0 and legacy.ceiling_rps
    # a point read is measured in runs paired with the ceiling's; a list is not
    assert read.ceiling_rps and read.of_ceiling == pytest.approx(read.rps / read.ceiling_rps)
    # first reads: half the 280 leads outside the sample, in turn; reads without a
    # stored document: all 280, their documents dropped first
    assert first.rps > 0 and first.errors == 0 and first.ceiling_rps
    assert " reads of 140 leads" in first.note
    assert cold.rps > 0 and cold.errors == 0 and cold.ceiling_rps
    assert " reads of 280 leads" in cold.note
    assert listed.ceiling_rps is None
    assert listed.of_ceiling == pytest.approx(listed.rps / res.ceilings[300])
    assert listed.same_rows is True and listed.plain_ms is not None
    # The floor: the ceiling answering the page's own bytes one at a time (the page was
    # the last answer given to a ceiling).
    assert listed.floor_p99_ms is not None and listed.floor_p99_ms > 0
    page = json.loads((tmp_path / "floor-body.json").read_bytes())
    assert [lead["guid"] for lead in page] and all(lead["guid"] for lead in page)
    assert res.memory[300][0] > 0
    report = out.read_text()
    assert "| v1 get lead by guid (ceiling alongside " in report and "Bulk load" in report
    assert "data sets from seed 3." in report
    saved = load(tmp_path / "results.json")
    assert saved.rows == res.rows and saved.loads == res.loads and saved.floors == res.floors
    assert "One request at a time" in report
    assert f"floor {listed.floor_p99_ms:.3f} ms" in report.split(f"| {listed.scenario} (")[1]
    # The report written again from the saved results is the same, header included:
    # the commit and start time are the run's, not the rewrite's.
    assert saved.commit == res.commit and res.commit not in ("", "unknown")
    assert saved.started == res.started != ""
    assert render(saved, figure="benchmarks.png") == report
    # Its figure beside it, linked from it.
    assert "](benchmarks.png)" in report
    assert (tmp_path / "benchmarks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_harness_measures_v3_and_form_scenarios(tmp_path):
    out = tmp_path / "benchmarks.md"
    cfg = Config(
        sizes=[300], runs=1, seconds=1, warmup=0, connections=2, sample=20, peers=False,
        only=("v3", "form"), work=tmp_path, out=out,
    )
    res = main(cfg)
    by_name = {r.scenario: r for r in res.rows}
    assert list(by_name) == [
        "v3 get lead by id", V3_NAMED, V3_PAGE,
        "v3 search: one month created, raw score >= 250, sort last modified",
        "v3 update lead (PATCH)", "form post: acknowledged (durable)",
    ]
    for row in res.rows:
        assert row.rps > 0 and row.errors == 0, row
    for name in ("v3 get lead by id", V3_NAMED, "form post: acknowledged (durable)"):
        paired = by_name[name]
        assert paired.ceiling_rps and paired.of_ceiling == pytest.approx(
            paired.rps / paired.ceiling_rps)
        assert "ceiling alongside" in out.read_text().split(f"| {name} (", 1)[1].split("|")[0]
    found = by_name["v3 search: one month created, raw score >= 250, sort last modified"]
    assert found.same_rows is True and found.plain_ms is not None
    assert found.floor_p99_ms is not None and found.floor_p99_ms > 0
    searched = json.loads((tmp_path / "floor-body.json").read_bytes())
    assert searched["total"] > 0 and len(searched["results"]) > 0
    rate, plain, drained = res.drains[300]
    assert rate > 0 and plain > 0 and drained > 0
    p50, p99, samples = res.readable[300]
    assert 0 < p50 <= p99 and samples >= 5
    report = out.read_text()
    assert "| v3 get lead by id (" in report and "Form queue drain" in report
    assert "Form post to readable lead" in report
    saved = load(tmp_path / "results.json")
    assert saved.drains == res.drains and saved.readable == res.readable


def test_harness_runs_on_postgresql(tmp_path, monkeypatch):
    from tests.conftest import PG_ADMIN_URL, REQUIRE_PG, pg_problem

    problem = pg_problem()
    if problem is not None:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (LEADHUB_REQUIRE_POSTGRES=1): {problem}")
        pytest.skip(problem)
    monkeypatch.setenv("LEADHUB_BENCH_POSTGRES", PG_ADMIN_URL)
    cfg = Config(
        sizes=[120], runs=1, seconds=1, warmup=0, connections=2, sample=10, peers=False,
        only=("v3", "v1 list: one-week", "form"), work=tmp_path,
        out=tmp_path / "b.md",
        store="postgresql",
    )
    res = main(cfg)
    by_name = {r.scenario: r for r in res.rows}
    assert len(by_name) == 7
    for row in res.rows:
        assert row.rps > 0 and row.errors == 0, row
        if row.plain_ms is not None:
            assert row.same_rows is True, row
    assert res.loads[120][1] > 0 and res.drains[120][1] > 0
    p50, p99, samples = res.readable[120]
    assert 0 < p50 <= p99 and samples >= 5
    assert "## 120 leads on PostgreSQL" in (tmp_path / "b.md").read_text()
    import psycopg

    with psycopg.connect(PG_ADMIN_URL) as con:  # the run dropped its databases
        left = con.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE %s",
            (f"leadhub_bench_{__import__('os').getpid()}_%",),
        ).fetchone()
    assert left == (0,)


def test_first_reads_are_of_leads_outside_the_sample(tmp_path):
    path = dataset.write_csv(tmp_path / "leads.csv", 100)
    rows = sample(path, 100, 10)
    guids = unread(path, rows, 1000)
    assert len(guids) == len(set(guids)) == 90
    assert not set(guids) & {r["guid"] for r in rows}
    assert unread(path, rows, 1000) == guids and unread(path, rows, 5) == guids[:5]


def test_drop_documents_deletes_only_those_leads_documents(tmp_path):
    path = tmp_path / "store.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE lead_documents (portal_id INTEGER, guid TEXT, doc BLOB)")
    rows = [(PORTAL, f"g{i}", b"{}") for i in range(1200)] + [(PORTAL + 1, "g1", b"{}")]
    con.executemany("INSERT INTO lead_documents VALUES (?, ?, ?)", rows)
    con.commit()
    con.close()
    drop_documents(f"sqlite:///{path}", [f"g{i}" for i in range(1, 1200, 2)])
    con = sqlite3.connect(path)
    left = con.execute("SELECT portal_id, guid FROM lead_documents ORDER BY rowid").fetchall()
    con.close()
    assert left == [(PORTAL, f"g{i}") for i in range(0, 1200, 2)] + [(PORTAL + 1, "g1")]


def test_cached_share_reads_the_page_cache_of_a_sqlite_store(tmp_path):
    assert cached_share("postgresql://postgres@127.0.0.1/x") is None
    path = tmp_path / "store.db"
    path.write_bytes(b"x" * 65536)
    share = cached_share(f"sqlite:///{path}")
    if shutil.which("fincore") is None:
        assert share is None
    else:
        assert share is not None and 0.0 <= share <= 1.0


def test_the_commit_is_dirty_for_changed_code_not_for_the_report(tmp_path: Path) -> None:
    from bench.report import FIGURE, REPORT, commit

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    (tmp_path / "docs").mkdir()
    (tmp_path / REPORT).write_text("old report\n")
    (tmp_path / FIGURE).write_bytes(b"old figure")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one")
    head = git("rev-parse", "--short=7", "HEAD")
    assert commit(tmp_path) == head
    (tmp_path / REPORT).write_text("a run on the other store wrote this\n")
    (tmp_path / FIGURE).write_bytes(b"and this")
    (tmp_path / "untracked.txt").write_text("not the code measured\n")
    assert commit(tmp_path) == head
    (tmp_path / "code.py").write_text("x = 2\n")
    assert commit(tmp_path) == f"{head}-dirty"
    assert commit(tmp_path / "nowhere") == "unknown"


def test_a_store_section_from_another_machine_names_it():
    """Each store's section may come from a run of its own; one made on another machine
    says which, since rates and ratios differ between machines."""
    from bench.results import Results

    def run(store: str, machine: str) -> Results:
        return Results(Config(sizes=[], store=store), commit="abc1234",
                       started="2026-01-01 00:00 UTC", machine=machine)

    header = render(run("sqlite", "2 cores (A)"), run("postgresql", "2 cores (B)"))
    assert "PostgreSQL store (its section from a run started 2026-01-01 00:00 UTC at " \
           "`abc1234` on 2 cores (B))" in header
    same = render(run("sqlite", "2 cores (A)"), run("postgresql", "2 cores (A)"))
    assert "at `abc1234`)" in same and "on 2 cores (A))" not in same


def test_each_run_is_divided_by_its_own_peers():
    """A store's section from another run compares with the peers measured in that run; a
    run without peers with those of the report's first run."""
    from bench.report import peer_rate
    from bench.results import Results, Row

    def run(store: str, rps: float, peers: dict[str, float]) -> Results:
        row = Row(size=10, scenario="v1 update lead", rps=rps, p99_ms=1.0, errors=0)
        return Results(Config(sizes=[10], store=store), rows=[row], peers=peers,
                       started=f"{store} start")

    first = run("sqlite", 1000.0, {"json-server": 100.0, "Prism": 50.0})
    other = run("postgresql", 1000.0, {"json-server": 400.0})
    assert peer_rate(first, first) == 100.0
    assert peer_rate(other, first) == 400.0
    assert peer_rate(run("postgresql", 1000.0, {}), first) == 100.0
    report = render(first, other)
    sqlite_row, pg_row = (line for line in report.splitlines()
                          if line.startswith("| v1 update lead |"))
    assert "| 10.0 | 0 | (>= 10 x peers) | yes |" in sqlite_row
    assert "| 2.5 | 0 | (>= 10 x peers) | **no** |" in pg_row
    assert "| json-server | 100 | 400 |" in report
    assert "| Prism | 50 |  |" in report
    assert "for the SQLite sections | req/s, GET of the same lead, for the PostgreSQL " \
        "sections |" in report
    alone = render(first, run("postgresql", 1000.0, {}))
    assert alone.count("| 10.0 | 0 | (>= 10 x peers) | yes |") == 2
    assert "| server | req/s, GET of the same lead |" in alone


def test_another_seed_builds_other_leads_of_the_same_shape(tmp_path):
    """``--seed`` reaches the data set the run builds, and the report says which."""
    from bench.__main__ import parse
    from bench.dataset import SEED
    from bench.results import Results

    assert parse([]).seed == SEED
    cfg = parse(["--seed", "5", "--sizes", "50", "--out", "-"])
    assert cfg.seed == 5
    default = dataset.write_csv(tmp_path / "a.csv", 50)
    other = dataset.write_csv(tmp_path / "b.csv", 50, cfg.seed)
    a, b = default.read_text().splitlines(), other.read_text().splitlines()
    assert a[0] == b[0] and len(a) == len(b) and a[1:] != b[1:]
    # Asked again with another seed, the same file is written anew.
    assert dataset.write_csv(tmp_path / "a.csv", 50, cfg.seed).read_text() == other.read_text()
    header = render(Results(cfg), Results(Config(sizes=[], store="postgresql")))
    assert f"data sets from seed 5 (PostgreSQL: seed {SEED})." in header
    assert f"data sets from seed {SEED}." in render(Results(parse([])))

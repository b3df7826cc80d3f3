"""Runs whose requests are slower than the run: lengthened until they answer some."""

from __future__ import annotations

from bench import measure as bench_measure
from bench.measure import MAX_RUN_SECONDS, MIN_REQUESTS, long_enough
from bench.results import Config
from bench.wrk import Result


def _wrk_with_requests_taking(request_s: float, calls: list[float]):
    """A stand-in for one wrk run of one connection, each request taking request_s:
    wrk counts only the requests answered within the run's duration."""

    def run(seconds: float) -> Result:
        calls.append(seconds)
        answered = int(seconds // request_s)
        return Result(requests=answered, seconds=seconds, errors=0, bad_status=0,
                      p50_ms=request_s * 1000 if answered else 0.0,
                      p99_ms=request_s * 1000 if answered else 0.0)

    return run


def test_a_run_of_fast_requests_is_run_once():
    calls: list[float] = []
    result, used = long_enough(_wrk_with_requests_taking(0.5, calls), 3.0)
    assert calls == [3.0] and used == 3.0 and result.requests == 6


def test_requests_slower_than_the_run_make_it_longer():
    calls: list[float] = []
    result, used = long_enough(_wrk_with_requests_taking(5.0, calls), 3.0)
    assert calls == [3.0, 12.0, 48.0]
    assert used == 48.0 and result.requests >= MIN_REQUESTS and result.p99_ms == 5000


def test_lengthening_stops_at_the_limit_and_reports_what_it_got():
    calls: list[float] = []
    result, used = long_enough(_wrk_with_requests_taking(MAX_RUN_SECONDS * 2, calls), 3.0)
    assert used == MAX_RUN_SECONDS and calls[-1] == MAX_RUN_SECONDS
    assert result.requests == 0  # the report marks a rate of 0 as a missed target


def test_measure_keeps_the_longer_duration_for_every_run(monkeypatch, tmp_path):
    calls: list[float] = []
    slow = _wrk_with_requests_taking(2.0, calls)
    monkeypatch.setattr(bench_measure.wrk, "run", lambda *a, seconds, **k: slow(seconds))
    cfg = Config(sizes=[1], runs=2, seconds=1.0, warmup=1.0, work=tmp_path, out=None)
    row = bench_measure.measure(
        cfg, "http://127.0.0.1:1", tmp_path / "reqs.txt", "t", connections=1)
    # the warm-up and the first run are lengthened until they answer enough; the second
    # run starts at the length the first one needed
    assert calls == [1.0, 4.0, 16.0, 1.0, 4.0, 16.0, 16.0]
    assert row.rps == 0.5 and row.p99_ms == 2000

"""``python -m bench``: run the benchmark suite and write docs/benchmarks.md."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.dataset import SEED
from bench.results import Config
from bench.run import main


def parse(argv: list[str] | None = None) -> Config:
    """Command-line options to a Config."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--sizes", default="100000,1000000",
                   help="data set sizes, comma separated (default 100000,1000000)")
    p.add_argument("--runs", type=int, default=3, help="measured runs per scenario (median)")
    p.add_argument("--seconds", type=float, default=3.0, help="seconds per run")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per scenario")
    p.add_argument("--connections", type=int, default=32, help="wrk connections")
    p.add_argument("--no-peers", action="store_true", help="skip json-server and Prism")
    p.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite",
                   help="the store measured: a SQLite file, or a database of its own on the "
                        "PostgreSQL server at $LEADHUB_BENCH_POSTGRES (default "
                        "postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards")
    p.add_argument("--only", default="",
                   help="run only the scenarios whose names start with one of these "
                        "(comma separated, e.g. 'v3,form')")
    p.add_argument("--seed", type=int, default=SEED,
                   help=f"the data sets' seed (default {SEED}): other leads, people, "
                        "names and times of the same shape")
    p.add_argument("--out", default="docs/benchmarks.md", help="report path ('-' for none)")
    a = p.parse_args(argv)
    return Config(
        sizes=[int(s) for s in a.sizes.split(",") if s],
        runs=a.runs, seconds=a.seconds, warmup=a.warmup, connections=a.connections,
        peers=not a.no_peers, store=a.store, seed=a.seed,
        only=tuple(x.strip() for x in a.only.split(",") if x.strip()) or None,
        out=None if a.out == "-" else Path(a.out).resolve(),
    )


if __name__ == "__main__":
    main(parse())

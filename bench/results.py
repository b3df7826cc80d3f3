"""What a benchmark run asks for and what it measured, kept beside the report and read back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import stores
from bench.dataset import SEED
from bench.procs import ROOT


@dataclass
class Config:
    """How big and how long."""

    sizes: list[int]
    runs: int = 3
    seconds: float = 3.0
    warmup: float = 2.0
    connections: int = 32
    sample: int = 1000
    # The data set's seed (bench/dataset.py): another seed, other leads of the same shape.
    seed: int = SEED
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
    # One request at a time (as the lists): the p99 of the ceiling answering this
    # scenario's own answer, byte for byte (see ``measure.floor_for``).
    floor_p99_ms: float | None = None


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

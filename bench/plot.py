"""The report's figure: how near each measured scenario is to its target.

One panel per store, one row per target, one mark per data set size, placed at
what was measured divided by what the target asks (log scale): right of the
line at 1 the target is met, left of it missed, and the distance says by how
much. Each mark is labelled with the figure the report's table gives. The
peers' target (ten times json-server and Prism) is in the table only: every
row would carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

from bench.report import (  # noqa: E402
    BULK_TARGET,
    DRAIN_TARGET,
    HALF_CEILING,
    STORE_NAMES,
    attainment,
    bulk_ratio,
    drain_ratio,
    memory_share,
)
from bench.results import Results  # noqa: E402

# Shares outside this range are drawn at its edge (their label says the figure).
LOW, HIGH = 0.02, 50.0
# A mark per data set size, in the order the sizes come.
STYLES = (("#1f77b4", "o"), ("#d62728", "s"), ("#2ca02c", "^"), ("#9467bd", "D"))
WRAP = 46


@dataclass(frozen=True)
class Mark:
    """One target of one data set size: measured ÷ target, and the figure as the table says it."""

    label: str
    size: int
    share: float
    text: str


def marks(res: Results) -> list[Mark]:
    """Every target one run measured, in the report's order, then bulk load, drain and
    memory."""
    out: list[Mark] = []
    for row in res.rows:
        share = attainment(row)
        if share is None or row.size is None:
            continue
        if row.scenario in HALF_CEILING:
            text = "errors" if row.errors else f"{row.of_ceiling or 0:.2f} of ceiling"
        elif row.plain_ms and row.p99_c1_ms and row.rps > 0:
            text = f"{_times(row.p99_c1_ms / row.plain_ms)} SQL"
        else:
            text = "no answer"
        out.append(Mark(row.scenario, row.size, share, text))
    for size, (imported, plain) in res.loads.items():
        ratio = bulk_ratio(imported, plain)
        out.append(Mark("bulk load (of a plain executemany)", size, ratio / BULK_TARGET,
                        f"{ratio:.2f}"))
    for size, (rate, plain, _) in res.drains.items():
        ratio = drain_ratio(rate, plain)
        out.append(Mark("form queue drain (of a plain executemany)", size,
                        ratio / DRAIN_TARGET, f"{ratio:.2f}"))
    for size, (_, peak) in res.memory.items():
        out.append(Mark("memory of the server (under 200 MB)", size, memory_share(peak),
                        f"{peak / 1024:.0f} MB"))
    return out


def _times(ratio: float) -> str:
    """A p99 as a multiple of its plain SQL, as the table gives it (two significant
    digits below 1: a long plain query against a fast page reads 0.0016x)."""
    return f"{ratio:.1f}x" if ratio >= 1 else f"{ratio:.2g}x"


def _wrap(text: str) -> str:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= WRAP:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def draw(runs: list[Results], path: Path) -> Path | None:
    """The figure of ``runs`` (a panel each that measured a target) as a PNG at ``path``;
    None, and no file (an earlier one removed), if none did."""
    panels = [(run, marks(run)) for run in runs]
    panels = [(run, found) for run, found in panels if found]
    if not panels:
        path.unlink(missing_ok=True)
        return None
    heights = [len(dict.fromkeys(m.label for m in found)) + 1.5 for _, found in panels]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(11, 0.42 * sum(heights) + 1.2), squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    for ax, (run, found) in zip(axes[:, 0], panels, strict=True):
        labels = list(dict.fromkeys(m.label for m in found))
        sizes = list(dict.fromkeys(m.size for m in found))
        step = 0.6 / max(len(sizes), 1)
        for n, size in enumerate(sizes):
            color, marker = STYLES[n % len(STYLES)]
            legend: str | None = f"{size:,} leads"  # on the size's first mark only
            for m in (m for m in found if m.size == size):
                y = labels.index(m.label) + (n - (len(sizes) - 1) / 2) * step
                x = min(max(m.share, LOW), HIGH)
                ax.plot([1, x], [y, y], color=color, alpha=0.35, linewidth=2)
                ax.plot([x], [y], marker=marker, color=color, linestyle="", label=legend)
                legend = None
                ax.annotate(m.text, (x, y), xytext=(6 if x >= 1 else -6, 0),
                            textcoords="offset points", va="center", fontsize=7,
                            ha="left" if x >= 1 else "right", color=color)
        ax.axvline(1, color="black", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlim(LOW / 1.5, HIGH * 1.5)
        ax.set_yticks(range(len(labels)), [_wrap(label) for label in labels], fontsize=8)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.grid(axis="x", which="major", alpha=0.3)
        title = f"{STORE_NAMES.get(run.config.store, run.config.store)} store"
        if run.commit:
            title += f", run at {run.commit}" + (f" ({run.started})" if run.started else "")
        ax.set_title(title, fontsize=10, loc="left")
        ax.legend(loc="lower right", fontsize=8)
        ax.set_xlabel("measured ÷ target (log scale): right of the line met, left missed",
                      fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path

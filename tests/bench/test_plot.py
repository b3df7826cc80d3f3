"""The report's targets and its figure, from results made up here (no server runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from bench.plot import STYLES, draw, marks
from bench.report import _targets, attainment, render
from bench.results import Config, Results, Row

POINT = "v1 get lead by guid"
LIST = "v1 list: one-week insertedAt window"
FORM = "form post: acknowledged (durable)"


def point(of_ceiling: float, errors: int = 0, size: int = 100) -> Row:
    return Row(size=size, scenario=POINT, rps=1000.0, p99_ms=2.0, errors=errors,
               of_ceiling=of_ceiling)


def listed(p99_ms: float, plain_ms: float, rps: float = 500.0, size: int = 100) -> Row:
    return Row(size=size, scenario=LIST, rps=rps, p99_ms=p99_ms, errors=0, plain_ms=plain_ms,
               p99_c1_ms=p99_ms)


def run(store: str = "sqlite", sizes: tuple[int, ...] = (100, 1000)) -> Results:
    res = Results(Config(sizes=list(sizes), store=store), commit="abc1234",
                  started="2026-01-01 00:00 UTC")
    for size in sizes:
        res.rows += [
            point(0.56, size=size), listed(0.9, 0.1, size=size),
            Row(size=size, scenario=FORM, rps=9000.0, p99_ms=8.0, errors=0, of_ceiling=0.3),
            Row(size=size, scenario="v1 update lead", rps=1700.0, p99_ms=60.0, errors=0),
        ]
        res.loads[size] = (30.0, 19.5)
        res.drains[size] = (1155.0, 3300.0, 30000)
        res.memory[size] = (140 * 1024, 150 * 1024)
    return res


@pytest.mark.parametrize(
    ("row", "met"),
    [
        (point(0.5), True), (point(0.49), False), (point(0.9, errors=1), False),
        (Row(size=1, scenario=POINT, rps=0, p99_ms=0, errors=0), False),
        (listed(0.3, 0.1), True), (listed(0.3001, 0.1), False),
        (listed(0.0, 0.1, rps=0.0), False), (listed(1.0, 600.0), True),
    ],
)
def test_a_rows_target_is_met_exactly_when_its_share_reaches_one(row: Row, met: bool) -> None:
    target, verdict = _targets(row, best_peer=None)
    assert verdict is met
    share = attainment(row)
    assert share is not None and (share >= 1) is met
    assert target == (">= 0.5 of ceiling, 0 errors" if row.scenario == POINT
                      else "p99 <= 3 x plain SQL")


def test_a_row_with_only_the_peers_target_has_no_share() -> None:
    row = Row(size=1, scenario="v1 update lead", rps=400.0, p99_ms=5.0, errors=0)
    assert attainment(row) is None
    assert _targets(row, best_peer=30.0) == ("(>= 10 x peers)", True)
    assert _targets(row, best_peer=41.0) == ("(>= 10 x peers)", False)


def test_marks_are_each_target_as_a_share_with_the_tables_figure() -> None:
    found = marks(run(sizes=(100,)))
    assert [(m.label, m.size) for m in found] == [
        (POINT, 100), (LIST, 100), (FORM, 100),
        ("bulk load (of a plain executemany)", 100),
        ("form queue drain (of a plain executemany)", 100),
        ("memory of the server (under 200 MB)", 100),
    ]
    by_label = {m.label: m for m in found}
    assert by_label[POINT].share == pytest.approx(1.12)
    assert by_label[POINT].text == "0.56 of ceiling"
    assert by_label[LIST].share == pytest.approx(1 / 3)
    assert by_label[LIST].text == "9.0x SQL"
    assert by_label[FORM].share == pytest.approx(0.6)
    assert by_label["bulk load (of a plain executemany)"].share == pytest.approx(0.65 / 0.3)
    assert by_label["bulk load (of a plain executemany)"].text == "0.65"
    drain = by_label["form queue drain (of a plain executemany)"]
    assert drain.share == pytest.approx(1155 / 3300 / 0.25) and drain.text == "0.35"
    memory = by_label["memory of the server (under 200 MB)"]
    assert memory.share == pytest.approx(200 / 150) and memory.text == "150 MB"


def test_a_page_far_faster_than_its_plain_sql_keeps_its_figure() -> None:
    res = Results(Config(sizes=[1], store="sqlite"))
    res.rows = [listed(0.93, 568.0, size=1), point(0.5, errors=3, size=1)]
    fast, failed = marks(res)
    assert fast.text == "0.0016x SQL" and fast.share == pytest.approx(3 * 568 / 0.93)
    assert failed.text == "errors" and failed.share == 0.0


def _has_color(image: np.ndarray, color: str) -> bool:
    rgb = np.array([int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return bool((np.abs(image[:, :, :3] - rgb).max(axis=2) < 0.02).any())


def test_the_figure_draws_a_panel_per_store_and_a_mark_per_size(tmp_path: Path) -> None:
    one = draw([run()], tmp_path / "one.png")
    two = draw([run(), run("postgresql")], tmp_path / "two.png")
    assert one == tmp_path / "one.png" and two == tmp_path / "two.png"
    first, both = imread(one), imread(two)
    assert both.shape[0] > 1.6 * first.shape[0] and both.shape[1] == first.shape[1]
    for color, _ in STYLES[:2]:  # both data set sizes are marked
        assert _has_color(first, color)
    assert not _has_color(imread(draw([run(sizes=(100,))], tmp_path / "only.png")), STYLES[1][0])


def test_no_targets_no_figure_and_no_link(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.png"
    path.write_bytes(b"an earlier run's figure")
    res = Results(Config(sizes=[1], store="sqlite"))
    res.rows = [Row(size=1, scenario="v1 update lead", rps=1.0, p99_ms=1.0, errors=0)]
    assert draw([res], path) is None and not path.exists()
    assert "![" not in render(res)
    assert "![Each target: what was measured divided by what the target asks](b.png)" in \
        render(res, figure="b.png")


def test_bulk_drain_and_memory_read_the_same_in_the_tables_and_the_figure() -> None:
    res = Results(Config(sizes=[1, 2], store="sqlite"))
    res.loads = {1: (10.0, 3.0), 2: (10.0, 2.9)}  # plain over import: 0.3 met, 0.29 missed
    res.drains = {1: (25.0, 100.0, 5), 2: (24.0, 100.0, 5)}  # 0.25 met, 0.24 missed
    res.memory = {1: (100, 200 * 1024 - 1), 2: (100, 200 * 1024)}  # under 200 MB, not under
    shares = {(m.label.split(" ")[0], m.size): m.share for m in marks(res)}
    assert shares[("bulk", 1)] == pytest.approx(1) and shares[("bulk", 2)] < 1
    assert shares[("form", 1)] == pytest.approx(1) and shares[("form", 2)] < 1
    assert shares[("memory", 1)] > 1 and shares[("memory", 2)] == 1
    one, two = render(res).split("## ")[1:3]  # the two sizes' sections
    assert "(target 0.3: met)" in one and "(target 0.3: **missed**)" in two
    assert "(target 0.25: met)" in one and "(target 0.25: **missed**)" in two
    assert "(target under 200 MB: met)" in one and "(target under 200 MB: **missed**)" in two

"""The update scenarios' request files: every update changes the lead it updates.

wrk sends a file's lines in turn and starts again at its end; an update that
sends the value a lead already has writes nothing, and a file of such updates
would measure requests that write nothing.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict

import pytest

from bench.scenarios import mix_requests, patch_requests, two_values, update_requests

ROWS = [{"guid": f"{n:032x}"} for n in range(50)]


def _changes_every_time(requests: list[tuple[str, str, str]], key: str) -> None:
    """Each lead's values, in the order wrk sends them twice over, never repeat in a row."""
    seen: dict[str, list[object]] = defaultdict(list)
    for method, target, body in requests * 2:
        if method in ("PUT", "PATCH"):
            seen[target].append(json.loads(body)[key] if key else body)
    assert seen
    for target, values in seen.items():
        assert all(a != b for a, b in zip(values, values[1:], strict=False)), target


@pytest.mark.parametrize("choices", [2, 3, 1000])
def test_two_values_differ(choices: int) -> None:
    pairs = two_values(random.Random(1), 500, choices)
    assert all(a != b and 0 <= a < choices and 0 <= b < choices for a, b in pairs)


def test_the_update_file_changes_each_lead_on_every_pass() -> None:
    puts = update_requests(ROWS, random.Random(11))
    _changes_every_time([pair[turn] for turn in (0, 1) for pair in puts], "rawScore")


def test_the_mix_changes_each_lead_it_updates() -> None:
    rng = random.Random(11)
    puts = update_requests(ROWS, rng)
    mix = mix_requests(ROWS, ["/leads/v1/list?a", "/leads/v1/list?b"], puts, rng, count=4000)
    kinds = [m for m, _, _ in mix]
    assert 0.03 < kinds.count("PUT") / len(mix) < 0.07
    _changes_every_time(mix, "rawScore")


def test_the_patch_file_changes_both_properties_on_every_pass() -> None:
    patches = patch_requests(list(range(1, 51)), random.Random(13))
    _changes_every_time(patches, "properties")
    for method, _, body in patches:
        props = json.loads(body)["properties"]
        assert method == "PATCH" and set(props) == {"leadhub_raw_score", "hs_lead_label"}

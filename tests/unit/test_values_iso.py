"""Timestamps as ISO 8601 text: four-digit years, milliseconds, read back exactly."""

from __future__ import annotations

import random

import pytest

from leadhub.values import MAX_MS, MIN_MS, iso_to_ms, ms_to_iso


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (1_275_718_091_660, "2010-06-05T06:08:11.660Z"),
        (MIN_MS, "0001-01-01T00:00:00.000Z"),
        (-30_610_224_000_001, "0999-12-31T23:59:59.999Z"),
        (MAX_MS, "9999-12-31T23:59:59.999Z"),
    ],
)
def test_canonical_text(ms, text):  # type: ignore[no-untyped-def]
    assert ms_to_iso(ms) == text


def test_round_trip_and_text_order_follow_time():
    rng = random.Random(7)
    stamps = sorted({rng.randrange(MIN_MS, MAX_MS + 1) for _ in range(2_000)} | {MIN_MS, MAX_MS})
    texts = [ms_to_iso(ms) for ms in stamps]
    assert [iso_to_ms(t) for t in texts] == stamps
    assert sorted(texts) == texts  # the text sorts as the time does, years before 1000 too


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("0863-01-18T04:36:32.232Z", -34_932_021_807_768),
        ("1969-12-31T23:59:59.999+00:00", -1),
        ("2010-06-05T08:08:11.660+02:00", 1_275_718_091_660),
        ("2010-06-05T06:08:11.66", 1_275_718_091_660),
        ("1275718091660", 1_275_718_091_660),
    ],
)
def test_iso_text_to_exact_milliseconds(text, ms):  # type: ignore[no-untyped-def]
    assert iso_to_ms(text) == ms


@pytest.mark.parametrize("ms", [MIN_MS - 1, MAX_MS + 1])
def test_outside_years_1_to_9999(ms):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="outside the years"):
        ms_to_iso(ms)

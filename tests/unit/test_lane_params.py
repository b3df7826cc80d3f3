"""The point-read lane's parameters of a query string, remembered for the v3 strings seen
last (a v1 lookup's string, an email or a guid, is new each time)."""

from __future__ import annotations

import pytest

from leadhub.http import query_pairs
from leadhub.leads import fastlane


@pytest.mark.parametrize("query", [
    b"properties=hs_lead_name%2Chs_lead_type&archived=false",
    b"hapikey=k&email=a%40b.c", b"access_token=t&access_token=&x=1", b"a=&b", b"%ZZ=1",
    b"email=a%40b.c",
])
@pytest.mark.parametrize("keep", [True, False])
def test_params_are_the_query_pairs_and_those_but_the_credential(
    query: bytes, keep: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastlane, "_pairs", {})
    every, asked = fastlane._params(query, keep)
    assert list(every) == query_pairs(query)
    assert list(asked) == [p for p in query_pairs(query) if p[0] not in ("access_token", "hapikey")]
    # Remembered only if kept: the same answer again, not parsed again.
    assert (fastlane._params(query, keep) is fastlane._params(query, keep)) == keep
    assert list(fastlane._pairs) == ([query] if keep else [])


def test_remembered_strings_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastlane, "_pairs", {})
    for i in range(fastlane.PAIRS_MAX * 2 + 1):
        every, _ = fastlane._params(b"properties=p%d" % i, True)
        assert every == (("properties", f"p{i}"),)
        assert len(fastlane._pairs) <= fastlane.PAIRS_MAX

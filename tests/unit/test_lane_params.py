"""The point-read lane's parameters of a query string, remembered for the strings seen last."""

from __future__ import annotations

import pytest

from leadhub.http import query_pairs
from leadhub.leads import fastlane


@pytest.mark.parametrize("query", [
    b"properties=hs_lead_name%2Chs_lead_type&archived=false",
    b"hapikey=k&email=a%40b.c", b"access_token=t&access_token=&x=1", b"a=&b", b"%ZZ=1",
])
def test_params_are_the_query_pairs_and_those_but_the_credential(query: bytes) -> None:
    every, asked = fastlane._params(query)
    assert list(every) == query_pairs(query)
    assert list(asked) == [p for p in query_pairs(query) if p[0] not in ("access_token", "hapikey")]
    # Remembered: the same answer again, not parsed again.
    assert fastlane._params(query) is fastlane._params(query)


def test_remembered_strings_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastlane, "_pairs", {})
    for i in range(fastlane.PAIRS_MAX * 2 + 1):
        every, _ = fastlane._params(b"email=%d%%40x.io" % i)
        assert every == (("email", f"{i}@x.io"),)
        assert len(fastlane._pairs) <= fastlane.PAIRS_MAX

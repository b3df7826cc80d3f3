"""The lanes' query-string split must give what Starlette's ``parse_qsl`` gives
(blank values kept), for every shape."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadhub.http import query_pairs

QUERIES = [
    "email=ada%40example.com",
    "email=ada+lovelace%40example.com",
    "email=Ada%2BTag%40Example.COM",
    "email=a%26b%40example.com",
    "email=a%3Db%40example.com",
    "email=",
    "email",
    "=ada%40example.com",
    "email==x",
    "email=%",
    "email=%zz%40example.com",
    "email=%C3%A9%40example.com",
    "email=%C3%40example.com",
    "email=\u00e9@example.com",
    "e%6Dail=ada%40example.com",
    "email=ada%40example.com&access_token=x",
    "access_token=x&email=ada%40example.com",
    "email=a;b",
    "email=a%00b",
    "+email+=+a+",
    "&",
    "=",
    "a=1&&b=2",
    "email=%40",
    "email=a%40b%40c",
    "email=%4040",
    "email=%%40",
    "email=%40%",
    "email=%404",
    "email=a%2540b",
    "email=a%40b+c",
    "email=%C3%A9%40example.com",
    "email=\u00e9%40example.com",
    "%65mail=a%40b",
    "email=A%40B.COM",
]


@pytest.mark.parametrize("query", QUERIES)
def test_params_are_parse_qsl(query: str) -> None:
    raw = query.encode("utf-8")  # as the server hands it over: bytes
    assert query_pairs(raw) == parse_qsl(raw.decode("latin-1"), keep_blank_values=True)


PIECES = st.sampled_from(["a", "email", "=", "&", "+", "%", "%4", "%40", "%2B", "%C3", "%A9",
                          "%ff", ";", "é", "x@y", "%00", "%25"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=20))
def test_any_query_is_split_as_parse_qsl_splits_it(parts: list[str]) -> None:
    raw = "".join(parts).encode("utf-8")
    assert query_pairs(raw) == parse_qsl(raw.decode("latin-1"), keep_blank_values=True)

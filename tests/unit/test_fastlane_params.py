"""The fast lane's query-string split must give what Starlette's ``parse_qsl`` gives
(blank values kept), for every shape.

The same for its decoding of one part, against ``unquote_plus``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_plus

import pytest

from leadhub.leads.fastlane import _params, _unquote

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


@pytest.mark.parametrize("text", ["", "a", "%", "%4", "%40", "%%40", "%4%40", "%40%40", "+%40",
                                  "a%40b", "%4A%40", "\u00e9%40", "%e9%40", "%40%25"])
def test_unquote_is_unquote_plus(text: str) -> None:
    assert _unquote(text) == unquote_plus(text)


@pytest.mark.parametrize("query", QUERIES)
def test_params_are_parse_qsl(query: str) -> None:
    raw = query.encode("utf-8")  # as the server hands it over: bytes
    assert _params(raw) == parse_qsl(raw.decode("latin-1"), keep_blank_values=True)

"""A form post's body is parsed as ``parse_qsl`` parses it strictly (blank values kept,
text that does not decode refused), whichever parser does the work."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadhub.errors import LeadhubError, ValidationError
from leadhub.ingest.face import MAX_PARSED_FIELDS, parse_body


def reference(raw: bytes, charset: str) -> list[tuple[str, str]] | str:
    """What the standard library's strict parse gives, or the name of the error the face
    answers with (a 400 for text that does not decode or too many fields)."""
    try:
        return parse_qsl(raw.decode(charset), keep_blank_values=True,
                         max_num_fields=MAX_PARSED_FIELDS, encoding=charset, errors="strict")
    except ValueError:  # UnicodeDecodeError included
        return ValidationError.__name__


def ours(raw: bytes, charset: str) -> list[tuple[str, str]] | str:
    try:
        return parse_body(raw, charset)
    except LeadhubError as exc:
        return type(exc).__name__


BODIES = [
    b"",
    b"FirstName=Ada&Email=ada%40example.com&UserToken=t-1&IPAddress=203.0.113.7",
    b"Name=Ada+Lovelace&City=S%C3%A3o+Paulo",
    b"a=%ff",  # percent-encoded byte that is not UTF-8
    b"a=%C3",  # a sequence cut short
    b"a=%C3%A9&b=%e9",
    b"a=\xc3\xa9",  # raw UTF-8
    b"a=\xe9",  # raw Latin-1: not UTF-8
    b"a=%EF%BF%BD",  # U+FFFD sent percent-encoded: kept
    b"a=\xef\xbf\xbd&b=%41",  # U+FFFD sent raw, with a percent elsewhere: kept
    b"a=%zz&b=%",
    b"a%3Db=c&=x&y&&z=",
    b"a=b;c=d",
    b"+a+=+b+&%2B=%2B",
    b"a=%00",
    b"&".join([b"f=1"] * MAX_PARSED_FIELDS),
    b"&".join([b"f=1"] * (MAX_PARSED_FIELDS + 1)),
]


@pytest.mark.parametrize("raw", BODIES)
@pytest.mark.parametrize("charset", ["UTF-8", "utf8", "latin-1"])
def test_known_bodies_parse_as_the_strict_standard_parse(raw: bytes, charset: str) -> None:
    assert ours(raw, charset) == reference(raw, charset)


PIECES = st.sampled_from([
    "a", "Email", "=", "&", "+", "%", "%4", "%40", "%2B", "%3D", "%26", "%C3", "%A9", "%c3%a9",
    "%ff", "%e9", "%EF%BF%BD", "%F0%9F%98%80", "%00", ";", " ", "é", "\ufffd", "😀", "x1",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=24), st.sampled_from(["UTF-8", "utf-8", "latin-1"]))
def test_any_body_parses_as_the_strict_standard_parse(parts: list[str], charset: str) -> None:
    raw = "".join(parts).encode("utf-8")
    assert ours(raw, charset) == reference(raw, charset)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_parse_as_the_strict_standard_parse(raw: bytes) -> None:
    assert ours(raw, "UTF-8") == reference(raw, "UTF-8")

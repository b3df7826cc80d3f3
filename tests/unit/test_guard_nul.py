"""The NUL check of paths and query strings, shared by the guard and the fast lanes."""

from __future__ import annotations

import pytest

from leadhub.guard import has_nul


@pytest.mark.parametrize(("path", "query", "expected"), [
    ("/leads/v1/lead/abc", b"", False),
    ("/leads/v1/lead", b"email=a%40b.com", False),
    ("/leads/v1/lead/a\x00b", b"", True),
    ("/leads/v1/lead", b"email=a%00b", True),
    ("/leads/v1/lead", b"email=a\x00b", True),
    ("/leads/v1/lead", b"%00", True),
    ("/leads/v1/lead", b"\x00", True),
    ("/leads/v1/lead", b"email=a%000", True),
    ("/leads/v1/lead", b"email=a%0", False),
    ("/leads/v1/lead", b"email=a%2500", False),
    ("/leads/v1/lead", b"email=a%01", False),
    ("/", b"0", False),
])
def test_has_nul(path: str, query: bytes, expected: bool) -> None:
    assert has_nul(path, query) is expected

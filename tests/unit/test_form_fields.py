"""The form post's field rules, without a server."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadhub.errors import ValidationError
from leadhub.ingest.fields import (
    MAX_FIELDS,
    MAX_NAME_CHARS,
    interpret,
    parse_close_date,
    validate,
)
from leadhub.ingest.service import normalize_host
from leadhub.store.objects import MAX_VALUE_CHARS
from leadhub.store.uniquevalues import MAX_UNIQUE_VALUE_BYTES


def test_close_date_is_midnight_utc():
    assert parse_close_date("06/05/2010") == 1275696000000
    assert parse_close_date("12/31/1999") == 946598400000


@pytest.mark.parametrize(
    "text", ["6/5/2010", "2010-06-05", "13/01/2010", "02/30/2020", "aa/bb/cccc"]
)
def test_close_date_must_be_mm_dd_yyyy(text):
    with pytest.raises(ValueError):
        parse_close_date(text)


def test_every_problem_is_named_at_once():
    with pytest.raises(ValidationError) as err:
        validate([("NumberEmployees", "1.5"), ("AnnualRevenue", "x"), ("CloseDate", "1/1/1")])
    message = err.value.message
    for name in ("UserToken is required", "IPAddress is required", "NumberEmployees",
                 "AnnualRevenue", "CloseDate"):
        assert name in message


def test_blank_fields_are_dropped_and_names_keep_their_case():
    kept = validate([("UserToken", "t"), ("IPAddress", "1"), ("Fax", " "), ("eMail", " A@b.c ")])
    assert kept == [("UserToken", "t"), ("IPAddress", "1"), ("eMail", "A@b.c")]


def test_interpret_maps_known_fields_page_fields_and_custom_ones():
    form = interpret([
        ("EMAIL", "a@b.c"), ("ZipCode", "02139"), ("NumberEmployees", "12"),
        ("CloseDate", "01/02/2020"), ("PAGEURL", "http://x/y"), ("Shoe size", "44"),
    ])
    assert form.values == {"email": "a@b.c", "zip": "02139", "numEmployees": "12"}
    assert form.closed_at == 1577923200000
    assert form.page == {"page_url": "http://x/y"}
    assert ("Shoe size", "44", "Shoe size") in form.submitted
    assert ("EMAIL", "a@b.c", "Email Address") in form.submitted


@pytest.mark.parametrize(
    ("raw", "host"),
    [("Leads.Example.com:8080", "leads.example.com"), ("leads.example.com.", "leads.example.com"),
     ("[::1]:8080", "[::1]")],
)
def test_host_names_compare_without_port_case_or_trailing_dot(raw, host):
    assert normalize_host(raw) == host


def rules(pairs: list[tuple[str, str]]) -> list[tuple[str, str]] | str:
    """The field rules spelled out one at a time: the fields kept, or the error message."""
    stripped = [(n.strip(), v.strip()) for n, v in pairs]
    fields = [(n, v) for n, v in stripped if n]
    if len(fields) > MAX_FIELDS:
        return f"a form post can have at most {MAX_FIELDS} fields"
    given_names = {n.lower() for n, v in fields if v != ""}
    errors = [f"{r} is required" for r in ("UserToken", "IPAddress")
              if r.lower() not in given_names]
    for n, v in [(n, v) for n, v in fields if v != ""]:
        checks = [
            ("\x00" in n + v, f"{n[:100]!r} must not contain NUL characters"),
            (len(n) > MAX_NAME_CHARS, f"the field name {n[:100]!r}... is longer than "
                                      f"{MAX_NAME_CHARS}"),
            (len(v) > MAX_VALUE_CHARS, f"{n} is longer than {MAX_VALUE_CHARS} characters"),
            (n.lower() in ("email", "usertoken") and len(v.encode()) > MAX_UNIQUE_VALUE_BYTES,
             f"{n} is longer than {MAX_UNIQUE_VALUE_BYTES} bytes"),
        ]
        failed = [message for bad, message in checks if bad]
        if failed:
            errors.append(failed[0])
            continue
        try:
            validate([("UserToken", "t"), ("IPAddress", "i"), (n, v)])
        except ValidationError as exc:  # the value rules of numbers and dates, alone
            errors.append(exc.message)
    if errors:
        return "; ".join(errors)
    return [(n, v) for n, v in fields if v != ""]


NAMES = st.sampled_from([
    "Email", "email", " UserToken ", "IPAddress", "ipaddress", "NumberEmployees",
    "AnnualRevenue", "CloseDate", "FirstName", "", " ", "x" * (MAX_NAME_CHARS + 1), "a\x00b",
])
VALUES = st.one_of(
    st.sampled_from(["", " ", "12", "-3", "1.5", "x", "1e400", "01/02/2020", "1/1/1", "a\x00",
                     "a@b.c", "é" * (MAX_UNIQUE_VALUE_BYTES // 2 + 1),
                     "v" * (MAX_VALUE_CHARS + 1)]),
    st.text(max_size=8),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(NAMES, VALUES), max_size=8))
def test_validate_applies_every_rule_as_spelled_out(pairs: list[tuple[str, str]]) -> None:
    try:
        got: list[tuple[str, str]] | str = validate(pairs)
    except ValidationError as exc:
        got = exc.message
    assert got == rules(pairs)


def test_too_many_fields_are_refused_before_any_other_rule() -> None:
    with pytest.raises(ValidationError, match="at most 500 fields"):
        validate([("f", "1")] * (MAX_FIELDS + 1))

"""The form post's field rules, without a server."""

from __future__ import annotations

import pytest

from leadhub.errors import ValidationError
from leadhub.ingest.fields import interpret, parse_close_date, validate
from leadhub.ingest.service import normalize_host


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

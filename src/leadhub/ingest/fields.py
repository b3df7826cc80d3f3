"""The fields of a form post (seed 004): names, labels, validation, v1 values.

Field names are matched case-insensitively (the documents themselves write
both ``Email`` and ``email``). Empty values count as not submitted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from leadhub.errors import ValidationError
from leadhub.store.events import ConversionEvent
from leadhub.store.objects import MAX_VALUE_CHARS
from leadhub.store.queue import Submission
from leadhub.store.uniquevalues import MAX_UNIQUE_VALUE_BYTES
from leadhub.values import MAX_INT, digits

# lower-cased form field -> (v1 lead field, label shown in formSubmissionValues)
KNOWN: dict[str, tuple[str, str]] = {
    "firstname": ("firstName", "First Name"),
    "lastname": ("lastName", "Last Name"),
    "email": ("email", "Email Address"),
    "twitterhandle": ("twitterHandle", "Twitter Handle"),
    "phone": ("phone", "Phone"),
    "fax": ("fax", "Fax"),
    "company": ("company", "Company"),
    "address": ("address", "Address"),
    "jobtitle": ("jobTitle", "Job Title"),
    "city": ("city", "City"),
    "state": ("state", "State"),
    "zipcode": ("zip", "Zip Code"),
    "zip": ("zip", "Zip Code"),
    "country": ("country", "Country"),
    "message": ("message", "Message"),
    "website": ("website", "Website"),
    "industry": ("industry", "Industry"),
    "salutation": ("salutation", "Salutation"),
    "numberemployees": ("numEmployees", "Number of Employees"),
    "annualrevenue": ("annualRevenue", "Annual Revenue"),
    "ipaddress": ("ipAddress", "IP Address"),
    "usertoken": ("userToken", "User Token"),
}
CLOSE_DATE = "closedate"
PAGE_FIELDS = {"pageurl": "page_url", "pagename": "page_name", "pagetype": "page_type"}
LABELS = {
    **{key: label for key, (_, label) in KNOWN.items()},
    CLOSE_DATE: "Close Date",
    "pageurl": "Page URL",
    "pagename": "Page Name",
    "pagetype": "Page Type",
}
REQUIRED = ("UserToken", "IPAddress")
# Property history of what a form post changed names this source (and the form's guid).
SOURCE_TYPE = "FORM"
# The contact property holding a visitor's user token (unique per portal, like the email).
TOKEN_PROP = "leadhub_user_token"
MAX_FIELDS = 500
MAX_NAME_CHARS = 200


@dataclass
class FormValues:
    """A submission's fields interpreted: v1 lead values, close date, page fields."""

    values: dict[str, str] = field(default_factory=dict)
    closed_at: int | None = None
    page: dict[str, str] = field(default_factory=dict)
    # (fieldName, fieldValue, fieldLabel) for every submitted non-empty field
    submitted: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def email(self) -> str | None:
        return self.values.get("email")

    @property
    def user_token(self) -> str | None:
        return self.values.get("userToken")


def parse_close_date(text: str) -> int:
    """``MM/DD/YYYY`` to epoch milliseconds at midnight UTC; ValueError otherwise."""
    parts = text.split("/")
    if len(parts) != 3 or [len(p) for p in parts] != [2, 2, 4] or not all(
        digits(p) for p in parts
    ):
        raise ValueError("expected a date as MM/DD/YYYY")
    month, day, year = (int(p) for p in parts)
    return int(datetime(year, month, day, tzinfo=UTC).timestamp() * 1000)


def _check_number(text: str, integer: bool) -> None:
    if integer:
        if not digits(text.lstrip("-")):
            raise ValueError("expected a whole number, e.g. 123")
        if not -MAX_INT - 1 <= int(text) <= MAX_INT:
            raise ValueError("the number is too large")
        return
    try:
        number = float(text)
    except ValueError:
        raise ValueError("expected a number, e.g. 1234.56") from None
    if not math.isfinite(number):
        raise ValueError("expected a finite number, e.g. 1234.56")


# Fields whose values have rules of their own, beyond the limits of every field.
_CHECKED = frozenset(("email", "usertoken", "numberemployees", "annualrevenue", CLOSE_DATE))


def validate(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Check a post's fields; returns them (blank values dropped) or raises ValidationError
    naming every missing or malformed field."""
    kept = []
    for name, value in pairs:
        name = name.strip()
        if name:
            kept.append((name, value.strip()))
    if len(kept) > MAX_FIELDS:
        raise ValidationError(f"a form post can have at most {MAX_FIELDS} fields")
    present = set()
    problems = []
    out = []
    for name, value in kept:
        if not value:
            continue
        key = name.lower()
        present.add(key)
        if (key in _CHECKED or len(name) > MAX_NAME_CHARS or len(value) > MAX_VALUE_CHARS
                or "\x00" in name or "\x00" in value):
            problem = _problem(name, value, key)
            if problem is not None:
                problems.append(problem)
                continue
        out.append((name, value))
    missing = [f"{name} is required" for name in REQUIRED if name.lower() not in present]
    if missing or problems:
        raise ValidationError("; ".join(missing + problems))
    return out


def _problem(name: str, value: str, key: str) -> str | None:
    """What is wrong with one non-blank field, if anything."""
    if "\x00" in name or "\x00" in value:
        return f"{name[:100]!r} must not contain NUL characters"
    if len(name) > MAX_NAME_CHARS:
        return f"the field name {name[:100]!r}... is longer than {MAX_NAME_CHARS}"
    if len(value) > MAX_VALUE_CHARS:
        return f"{name} is longer than {MAX_VALUE_CHARS} characters"
    if key in ("email", "usertoken") and len(value.encode()) > MAX_UNIQUE_VALUE_BYTES:
        return f"{name} is longer than {MAX_UNIQUE_VALUE_BYTES} bytes"
    try:
        if key == "numberemployees":
            _check_number(value, integer=True)
        elif key == "annualrevenue":
            _check_number(value, integer=False)
        elif key == CLOSE_DATE:
            parse_close_date(value)
    except ValueError as exc:
        return f"{name} {value!r} is invalid: {exc}"
    return None


def interpret(pairs: Iterable[tuple[str, str]]) -> FormValues:
    """Turn validated fields into lead values; a repeated field's last value wins."""
    out = FormValues()
    for name, value in pairs:
        key = name.lower()
        out.submitted.append((name, value, LABELS.get(key, name)))
        if key in KNOWN:
            out.values[KNOWN[key][0]] = value
        elif key == CLOSE_DATE:
            out.closed_at = parse_close_date(value)
        elif key in PAGE_FIELDS:
            out.page[PAGE_FIELDS[key]] = value
    return out


def conversion_event(sub: Submission, form: FormValues) -> ConversionEvent:
    """The conversion event a processed submission adds to its lead (lead id still 0)."""
    fields = [
        {"id": sub.id * 1000 + i + 1, "fieldName": name, "fieldValue": value, "fieldLabel": label}
        for i, (name, value, label) in enumerate(form.submitted)
    ]
    return ConversionEvent(
        guid=sub.guid,
        lead_id=0,
        convert_date=sub.received_at,
        form_guid=sub.form_guid,
        form_id=sub.form_id,
        form_name=sub.form_name,
        page_name=form.page.get("page_name", ""),
        page_type=form.page.get("page_type", ""),
        page_url=form.page.get("page_url", ""),
        fields=fields,
    )

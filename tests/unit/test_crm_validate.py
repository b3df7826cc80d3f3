"""Property values brought to their canonical stored text, or refused with HubSpot's codes."""

from __future__ import annotations

import pytest

from leadhub.crm import validate
from leadhub.crm.property_defaults import DEFAULTS, prop
from leadhub.errors import ValidationError

NUMBER = prop("n", "N", "g", "number")
DATE = prop("d", "D", "g", "date")
DATETIME = prop("t", "T", "g", "datetime")
BOOL = prop("b", "B", "g", "bool")
CHECKBOX = prop("c", "C", "g", "enumeration", field_type="checkbox",
                options=[{"label": x, "value": x, "hidden": False} for x in ("a", "b")])


@pytest.mark.parametrize(
    ("definition", "value", "stored"),
    [
        (NUMBER, "12.0", "12"),
        (NUMBER, 7, "7"),
        (NUMBER, "0.5", "0.5"),
        (NUMBER, "", None),
        (DATE, "2024-02-29", "2024-02-29"),
        (DATE, "1709164800000", "2024-02-29"),
        (DATETIME, "1709164800000", "2024-02-29T00:00:00.000Z"),
        (DATETIME, "2024-02-29T01:00:00+01:00", "2024-02-29T00:00:00.000Z"),
        (BOOL, "TRUE", "true"),
        (BOOL, False, "false"),
        (CHECKBOX, "a;b", "a;b"),
        (CHECKBOX, None, None),
    ],
)
def test_canonical(definition, value, stored):
    assert validate.canonical(value, definition) == stored


@pytest.mark.parametrize(
    ("definition", "value", "code"),
    [
        (NUMBER, "twelve", "INVALID_INTEGER"),
        (NUMBER, "inf", "INVALID_INTEGER"),
        (DATE, "1709164800001", "INVALID_DATE"),
        (DATE, "2024-02-30", "INVALID_DATE"),
        (DATETIME, "99999999999999999999", "INVALID_DATETIME"),
        (BOOL, "yes", "INVALID_BOOLEAN"),
        (CHECKBOX, "a;z", "INVALID_OPTION"),
        (NUMBER, {"x": 1}, "INVALID_VALUE"),
    ],
)
def test_refused(definition, value, code):
    with pytest.raises(ValidationError) as info:
        validate.check({definition["name"]: definition}, {definition["name"]: value})
    assert [e["code"] for e in info.value.errors] == [code]


def test_every_problem_is_reported_at_once():
    defs = DEFAULTS["0-1"]
    with pytest.raises(ValidationError) as info:
        validate.check(defs, {"nope": "1", "hs_object_id": "2", "hs_email_optout": "x"})
    assert [e["code"] for e in info.value.errors] == [
        "PROPERTY_DOESNT_EXIST", "READ_ONLY_VALUE", "INVALID_BOOLEAN"]
    assert info.value.message.startswith("Property values were not valid: [")

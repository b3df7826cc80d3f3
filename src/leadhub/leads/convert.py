"""Conversion between v1 field values and stored property text."""

from __future__ import annotations

from typing import Any

from leadhub import values as V
from leadhub.leads.fields import SOURCE_ID_BY_ENUM, SOURCES, Field
from leadhub.values import digits


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got a boolean")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and digits(value.strip().lstrip("-")):
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    if not -V.MAX_INT - 1 <= value <= V.MAX_INT:
        raise ValueError(f"expected a whole number within 64 bits, got {value}")
    return value


def from_v1(field: Field, value: Any) -> str | None:
    """A v1 value as stored property text (None clears); ValueError if it has the wrong type."""
    if value is None:
        return None
    kind = field.kind
    if kind == "str":
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(f"expected a string, got {value!r}")
        text = value if isinstance(value, str) else V.number_to_str(value)
        return text if text != "" else None
    if kind == "bool":
        if isinstance(value, bool):
            return V.bool_to_str(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower()
        raise ValueError(f"expected true or false, got {value!r}")
    if value == "":
        return None
    if kind == "int":
        return str(_as_int(value))
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            return V.number_to_str(float(value))
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"expected a number, got {value!r}") from None
    if kind == "ms":
        ms = _as_int(value)
        if ms < 0:
            raise ValueError(f"expected a timestamp in milliseconds, got {value!r}")
        return V.ms_to_iso(ms) if ms else None
    if kind == "source":
        source_id = _as_int(value)
        if source_id == 0:
            return None
        if source_id not in SOURCES:
            raise ValueError(f"expected a source id from 1 to 7, got {value!r}")
        return SOURCES[source_id][1]
    raise AssertionError(kind)


def to_v1(field: Field, stored: str | None) -> Any:
    """Stored property text as the v1 value, with v1's empty value when unset."""
    kind = field.kind
    if kind == "str":
        return stored or ""
    if kind == "bool":
        return V.str_to_bool(stored) if stored else False
    if not stored:
        return 0
    try:
        if kind == "int":
            # int(), not int(float()): float rounds 2**63 - 1 up past 64 bits.
            text = stored.strip()
            return int(text) if digits(text.lstrip("-")) else int(float(text))
        if kind == "float":
            return V.str_to_number(stored)
        if kind == "ms":
            return V.iso_to_ms(stored)
    except ValueError:
        return 0
    if kind == "source":
        return SOURCE_ID_BY_ENUM.get(stored, 0)
    raise AssertionError(kind)

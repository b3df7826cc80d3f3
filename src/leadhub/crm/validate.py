"""Property values checked against their definitions and brought to canonical text.

HubSpot refuses a write with any bad value as a whole ("Property values were
not valid"), naming each problem with a code such as PROPERTY_DOESNT_EXIST,
INVALID_OPTION, INVALID_INTEGER or READ_ONLY_VALUE; nothing is written.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import orjson

from leadhub import values as V
from leadhub.errors import ValidationError
from leadhub.values import digits

Props = dict[str, str | None]


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return V.bool_to_str(value)
    if isinstance(value, (int, float)):
        return V.number_to_str(value)
    if isinstance(value, str):
        return value
    raise _Bad("INVALID_VALUE", f"{value!r} is not a string, number or boolean")


def _number(text: str) -> str:
    try:
        number = float(text.strip())
    except ValueError:
        raise _Bad("INVALID_INTEGER", f"{text} was not a valid number.") from None
    if not math.isfinite(number):
        raise _Bad("INVALID_INTEGER", f"{text} was not a valid number.")
    stripped = text.strip()
    if digits(stripped.lstrip("-")):
        return str(int(stripped))
    return V.number_to_str(number)


def _datetime(text: str) -> str:
    try:
        return V.ms_to_iso(V.iso_to_ms(text))
    except (ValueError, OverflowError, OSError):
        raise _Bad("INVALID_DATETIME", f"{text} was not a valid datetime: use epoch "
                   "milliseconds or ISO 8601.") from None


def _date(text: str) -> str:
    stripped = text.strip()
    try:
        if digits(stripped.lstrip("-")):
            ms = int(stripped)
            if ms % 86_400_000:
                raise _Bad("INVALID_DATE", f"{text} is not midnight UTC; a date property "
                           "takes epoch milliseconds at midnight UTC or YYYY-MM-DD.")
            return datetime.fromtimestamp(ms / 1000, tz=UTC).date().isoformat()
        if len(stripped) == 10:
            return date.fromisoformat(stripped).isoformat()
        return datetime.fromtimestamp(V.iso_to_ms(stripped) / 1000, tz=UTC).date().isoformat()
    except (ValueError, OverflowError, OSError):
        raise _Bad("INVALID_DATE", f"{text} was not a valid date: use YYYY-MM-DD or epoch "
                   "milliseconds at midnight UTC.") from None


def _bool(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise _Bad("INVALID_BOOLEAN", f"{text} was not a valid boolean: use true or false.")
    return lowered


def _enum(text: str, definition: dict[str, Any]) -> str:
    allowed = {o["value"] for o in definition.get("options", [])}
    many = definition.get("fieldType") == "checkbox"
    chosen = [p for p in text.split(";")] if many else [text]
    for choice in chosen:
        if choice not in allowed:
            raise _Bad(
                "INVALID_OPTION",
                f"{choice} was not one of the allowed options: "
                + ", ".join(sorted(allowed)),
            )
    return ";".join(chosen)


def canonical(value: Any, definition: dict[str, Any]) -> str | None:
    """One value as stored text (None clears); raises _Bad for a wrong value."""
    if value is None:
        return None
    text = _text(value)
    if text == "":
        return None
    type_ = definition["type"]
    if type_ == "number":
        return _number(text)
    if type_ == "datetime":
        return _datetime(text)
    if type_ == "date":
        return _date(text)
    if type_ == "bool":
        return _bool(text)
    if type_ == "enumeration":
        return _enum(text, definition)
    return text


def filter_value(value: Any, definition: dict[str, Any]) -> str:
    """A search filter value in the stored form of its property (enum options unchecked)."""
    text = _text(value)
    if definition["type"] == "enumeration":
        return text
    try:
        return canonical(text, definition) or ""
    except _Bad as exc:
        raise ValidationError(
            f"filter value for {definition['name']}: {exc.message}",
            errors=[{"message": exc.message, "code": exc.code,
                     "context": {"propertyName": [definition["name"]]}}],
        ) from None


def check(definitions: dict[str, dict[str, Any]], props: Any) -> Props:
    """Validate a ``properties`` object: canonical values, or a ValidationError naming all."""
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise ValidationError(
            "properties must be an object of property names to values",
            errors=[{"message": "properties must be an object", "code": "INVALID_INPUT"}],
        )
    out: Props = {}
    problems: list[tuple[str, str, str]] = []
    for name, value in props.items():
        definition = definitions.get(name)
        if definition is None:
            problems.append((name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            continue
        if definition["modificationMetadata"].get("readOnlyValue"):
            problems.append((name, "READ_ONLY_VALUE", f'Property "{name}" is read-only'))
            continue
        try:
            out[name] = canonical(value, definition)
        except _Bad as exc:
            problems.append((name, exc.code, exc.message))
    if problems:
        raise invalid_values(problems)
    return out


def invalid_values(problems: list[tuple[str, str, str]]) -> ValidationError:
    """HubSpot's "Property values were not valid" error for (name, code, message) problems."""
    detail = [
        {"isValid": False, "message": msg, "error": code, "name": name,
         "localizedErrorMessage": msg}
        for name, code, msg in problems
    ]
    return ValidationError(
        "Property values were not valid: " + orjson.dumps(detail).decode(),
        errors=[
            {"message": msg, "code": code, "context": {"propertyName": [name]}}
            for name, code, msg in problems
        ],
    )

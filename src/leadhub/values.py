"""Canonical string forms of property values, shared by every face.

HubSpot's v3 API carries every property value as a string. leadhub stores
them that way: numbers as their shortest decimal form, booleans as
``true``/``false``, datetimes as ISO 8601 in UTC with milliseconds
(``2010-06-05T06:08:11.660Z``), which also sorts correctly as text.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from functools import lru_cache

# The datetimes ISO 8601 text can hold: years 0001 to 9999.
MIN_MS = -62_135_596_800_000
MAX_MS = 253_402_300_799_999
# Whole numbers are kept within a signed 64-bit integer, what JSON clients and SQL can hold.
MAX_INT = 2**63 - 1
# Longer digit strings are not numbers leadhub can hold (a double stops at 309 digits).
MAX_DIGITS = 400


def digits(text: str) -> bool:
    """Whether text is ASCII digits only, short enough for int() to read at once.

    ``str.isdigit`` also accepts characters int() refuses (superscripts such
    as "\u00b2"), and int() refuses strings past 4,300 digits.
    """
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=UTC)
_MS = timedelta(milliseconds=1)


# A v3 object shows each of its two timestamps twice (property and field), and
# formatting is the dearest part of rendering one: remember recent conversions.
@lru_cache(maxsize=4096)
def ms_to_iso(ms: int) -> str:
    """Epoch milliseconds to the canonical ISO 8601 form; ValueError outside years 1-9999.

    ``isoformat`` writes four-digit years, as ISO 8601 asks and as ``iso_to_ms``
    reads them (``strftime``'s ``%Y`` wrote year 1 as ``1``), and takes about half
    of ``strftime``'s time.
    """
    if not MIN_MS <= ms <= MAX_MS:
        raise ValueError(f"timestamp {ms} is outside the years 0001 to 9999")
    return (_EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds") + "Z"


def iso_to_ms(value: str) -> int:
    """ISO 8601 (any offset, optional fraction) or a digit string to epoch milliseconds."""
    text = value.strip()
    if digits(text.lstrip("-")):
        return int(text)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    # In whole milliseconds: a float timestamp times 1000 missed by one before 1970.
    return (dt - _EPOCH_UTC) // _MS


def number_to_str(value: float | int) -> str:
    """A number's canonical text: integral values without a fraction."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        if value.is_integer() and abs(value) < 2**63:
            return str(int(value))
        return repr(value)
    return str(value)


def str_to_number(value: str) -> int | float:
    """Parse canonical number text back to int when integral, else float."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    if number.is_integer() and abs(number) < 2**63:
        if "e" not in value.lower() and "." not in value:
            return int(value)
        return int(number)
    # Integral values past 64 bits stay floats: JSON clients cannot hold them as integers.
    return number


def bool_to_str(value: bool) -> str:
    """Canonical boolean text."""
    return "true" if value else "false"


def str_to_bool(value: str) -> bool:
    """Parse boolean text in any case."""
    return value.strip().lower() == "true"

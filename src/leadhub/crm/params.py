"""Query parameters of the v3 face: arrays as repeated keys or comma lists, booleans in any case."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from leadhub.errors import ValidationError
from leadhub.util import parse_bool
from leadhub.values import digits


def array(params: QueryParams, name: str) -> list[str]:
    """``a=x&a=y`` and ``a=x,y`` alike: the non-empty items, in order, without repeats."""
    items: list[str] = []
    for raw in params.getlist(name):
        items.extend(p.strip() for p in raw.split(","))
    return list(dict.fromkeys(i for i in items if i))


def boolean(params: QueryParams, name: str, default: bool = False) -> bool:
    """A boolean parameter (``true``, ``True``, ``FALSE``, ...); 400 for anything else."""
    raw = params.get(name)
    if raw is None:
        return default
    value = parse_bool(raw)
    if value is None:
        raise ValidationError(f"{name} must be true or false, got {raw!r}")
    return value


def integer(params: QueryParams, name: str, default: int, *, low: int, high: int) -> int:
    """An integer parameter within [low, high]; 400 otherwise."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not digits(raw.strip()) or not low <= int(raw) <= high:
        raise ValidationError(f"{name} must be an integer from {low} to {high}, got {raw!r}")
    return int(raw)

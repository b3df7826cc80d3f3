"""Query parameters of the v3 face: arrays as repeated keys or comma lists, booleans in any case."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from leadhub.crm_types import NAME_BY_TYPE
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


def integer(params: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    """An integer parameter within [low, high]; 400 otherwise."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not digits(raw.strip()) or not low <= int(raw) <= high:
        raise ValidationError(f"{name} must be an integer from {low} to {high}, got {raw!r}")
    return int(raw)


def page_window(params: Mapping[str, str]) -> tuple[int, int]:
    """The ``limit`` (1 to 100, 10 by default) and ``after`` cursor (an object id, 0 by
    default) of a page of ``GET /crm/v3/objects/{objectType}``; 400 otherwise."""
    limit = integer(params, "limit", 10, low=1, high=100)
    after = params.get("after") or "0"
    if not digits(after) or len(after) > 18:
        raise ValidationError(
            f"after must be a paging cursor from paging.next.after, got {after!r}"
        )
    return limit, int(after)


def paging_next(
    base_url: str, object_type: str, params: Iterable[tuple[str, str]], after: int
) -> dict[str, dict[str, str]]:
    """A page's ``paging``: the next cursor, and a link asking again with ``params`` (but
    its cursor and the credential) and that cursor."""
    kept = [(k, v) for k, v in params if k not in ("after", "access_token", "hapikey")]
    query = urlencode([*kept, ("after", str(after))])
    return {"next": {
        "after": str(after),
        "link": f"{base_url}/crm/v3/objects/{NAME_BY_TYPE[object_type]}?{query}",
    }}

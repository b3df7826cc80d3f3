"""Parsing and validating the v1 list parameters (seed 001 and the real clients)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from leadhub.errors import PayloadTooLarge, ValidationError
from leadhub.leads import fields as F
from leadhub.store.leadlist import Column, LeadListQuery
from leadhub.util import parse_bool
from leadhub.values import MAX_INT, ms_to_iso

DEFAULT_MAX = 10
MAX_MAX = 100
MAX_GUIDS = 100

_CREATED = Column("created")
_UPDATED = Column("updated")
_CLOSED = Column("lead", "leadhub_closed_at")
_FIRST = Column("lead", F.FIRST_CONVERTED_PROP)
_LAST = Column("lead", "leadhub_last_converted_at")

TIME_PIVOTS: dict[str, Column] = {
    "insertedAt": _CREATED,
    "firstConvertedAt": _FIRST,
    "lastConvertedAt": _LAST,
    "lastModifiedAt": _UPDATED,
    "closedAt": _CLOSED,
}


# The latest instant the stored datetime form can hold (9999-12-31T23:59:59.999Z).
MAX_MS = 253_402_300_799_999


def _sort_column(field: F.Field) -> Column:
    # Names, emails and other words sort case-insensitively; stored datetimes
    # and booleans have one spelling, so plain text order is theirs.
    kinds = {"int": "number", "float": "number", "str": "folded"}
    return Column(field.owner, field.prop, kinds.get(field.kind, "text"))  # type: ignore[arg-type]


# The documented sort fields, the real clients' conversion-date sorts, the
# documents' misspelling "insteredAt", and any other stored top-level field.
SORTS: dict[str, Column] = {
    **{f.name: _sort_column(f) for f in F.FIELDS if f.kind != "source"},
    # By source id (1 Organic Search ... 7 Other Campaigns), as v1 shows it.
    "sourceId": Column(
        "contact", "hs_analytics_source", "ranked", tuple(e for _, e in F.SOURCES.values())
    ),
    "insertedAt": _CREATED,
    "insteredAt": _CREATED,
    "lastModifiedAt": _UPDATED,
    "fce.convertDate": _FIRST,
    "lce.convertDate": _LAST,
    "firstConvertedAt": _FIRST,
}

_GUID_KEY = re.compile(r"^guids\[(\d+)\]$")


@dataclass
class ListRequest:
    query: LeadListQuery
    exclude_events: bool


def _int(params: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"parameter {name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValidationError(f"parameter {name} must be at least {minimum}, got {value}")
    if value > MAX_INT:
        raise ValidationError(f"parameter {name} must be at most {MAX_INT}, got {value}")
    return value


def _time(params: Mapping[str, str], name: str) -> int | None:
    """A millisecond timestamp parameter; None when absent or empty."""
    if not params.get(name):
        return None
    return min(_int(params, name, 0, 0), MAX_MS)


def _flag(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    value = parse_bool(raw)
    if value is None:
        raise ValidationError(f"parameter {name} must be true or false, got {raw!r}")
    return value


def guids_of(items: list[tuple[str, str]]) -> list[str]:
    """The ``guids[0]``, ``guids[1]``, ... (and plain ``guids``) values, in index order."""
    indexed: list[tuple[int, str]] = []
    for key, value in items:
        match = _GUID_KEY.match(key)
        if match:
            indexed.append((int(match.group(1)), value))
        elif key in ("guids", "guid", "guids[]"):
            indexed.append((len(indexed) + 1_000_000, value))
    indexed.sort(key=lambda pair: pair[0])
    return [v.strip() for _, v in indexed if v.strip()]


def parse_list(
    portal_id: int, params: Mapping[str, str], items: list[tuple[str, str]]
) -> tuple[ListRequest, list[str]]:
    """Validate list parameters; returns the request and the guids to restrict to."""
    guids = guids_of(items)
    if len(guids) > MAX_GUIDS:
        raise PayloadTooLarge(
            f"at most {MAX_GUIDS} guids can be requested at once, got {len(guids)}"
        )
    default_max = len(guids) if guids else DEFAULT_MAX
    limit = min(_int(params, "max", default_max, 1), MAX_MAX)
    offset = _int(params, "offset", 0, 0)
    sort_name = params.get("sort") or "lastModifiedAt"
    if sort_name not in SORTS:
        raise ValidationError(
            f"parameter sort must be one of {', '.join(sorted(SORTS))}; got {sort_name!r}"
        )
    direction = (params.get("dir") or "desc").lower()
    if direction not in ("asc", "desc"):
        raise ValidationError(f"parameter dir must be asc or desc, got {params.get('dir')!r}")
    pivot_name = params.get("timePivot") or "insertedAt"
    if pivot_name not in TIME_PIVOTS:
        raise ValidationError(
            f"parameter timePivot must be one of {', '.join(TIME_PIVOTS)}; got {pivot_name!r}"
        )
    query = LeadListQuery(
        portal_id=portal_id,
        limit=limit,
        offset=offset,
        search=(params.get("search") or "").split(),
        sort=SORTS[sort_name],
        descending=direction == "desc",
        include_deleted=_flag(params, "includeDeleted"),
    )
    start = _time(params, "startTime")
    stop = _time(params, "stopTime")
    if start is not None or stop is not None:
        pivot = TIME_PIVOTS[pivot_name]
        query.pivot = pivot
        as_text = pivot.owner == "lead"
        # Stored datetimes are ISO text; missing ones never fall inside a window.
        if start is not None:
            query.start = ms_to_iso(start) if as_text else start
        elif as_text:
            query.start = ms_to_iso(0)
        if stop is not None:
            query.stop = ms_to_iso(stop) if as_text else stop
    # The document's name and the real clients' name; both are checked.
    opt_out = [_flag(params, "optOut"), _flag(params, "emailOptOut")]
    if any(opt_out):
        query.equals.append((Column("contact", "hs_email_optout"), "true"))
    if _flag(params, "eligibleForEmail"):
        query.equals.append((Column("contact", "leadhub_eligible_for_email"), "true"))
    if _flag(params, "bounced"):
        query.equals.append((Column("contact", "leadhub_email_bounced"), "true"))
    if _flag(params, "isNotImported"):
        query.not_equals.append((Column("lead", "leadhub_imported"), "true"))
    return ListRequest(query, _flag(params, "excludeConversionEvents")), guids

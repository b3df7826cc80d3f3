"""Unit tests of the v1 list parameter rules (leads/params.py)."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from leadhub.errors import PayloadTooLarge, ValidationError
from leadhub.leads import params as P
from leadhub.values import ms_to_iso


def parse(query: str):  # type: ignore[no-untyped-def]
    qp = QueryParams(query)
    return P.parse_list(7, qp, qp.multi_items())


def test_defaults():
    req, guids = parse("")
    q = req.query
    assert (q.portal_id, q.limit, q.offset, q.search) == (7, 10, 0, [])
    assert q.sort == P.SORTS["lastModifiedAt"] and q.descending is True
    assert q.pivot is None and q.start is None and q.stop is None
    assert q.equals == [] and q.not_equals == [] and q.include_deleted is False
    assert req.exclude_events is False and guids == []


@pytest.mark.parametrize(("raw", "limit"), [("1", 1), ("10", 10), ("100", 100), ("101", 100),
                                            ("100000", 100)])
def test_max_is_clamped_at_100(raw, limit):
    assert parse(f"max={raw}")[0].query.limit == limit


def test_guids_in_index_order_and_max_defaults_to_their_count():
    req, guids = parse("guids[2]=c&guids[0]=a&guids[10]=k&guids[1]=b")
    assert guids == ["a", "b", "c", "k"]
    assert req.query.limit == 4
    assert parse("guids[0]=a&max=1")[0].query.limit == 1


def test_more_than_100_guids_is_413():
    parse("&".join(f"guids[{i}]=g{i}" for i in range(100)))
    with pytest.raises(PayloadTooLarge):
        parse("&".join(f"guids[{i}]=g{i}" for i in range(101)))


def test_sort_names_of_the_document_and_the_clients():
    for name in ("firstName", "lastName", "email", "address", "phone", "insteredAt",
                 "insertedAt", "lastModifiedAt", "closedAt", "fce.convertDate",
                 "lce.convertDate"):
        assert parse(f"sort={name}")[0].query.sort == P.SORTS[name]
    assert P.SORTS["insteredAt"] == P.SORTS["insertedAt"]
    assert P.SORTS["fce.convertDate"] == P.SORTS["firstConvertedAt"]
    assert P.SORTS["lce.convertDate"] == P.SORTS["lastConvertedAt"]
    assert P.SORTS["firstName"].kind == "folded" and P.SORTS["score"].kind == "number"


def test_dir_is_case_insensitive():
    assert parse("dir=ASC")[0].query.descending is False
    assert parse("dir=desc")[0].query.descending is True


def test_time_window_on_a_stored_datetime_pivot_uses_iso_text():
    q = parse("timePivot=closedAt&stopTime=1000")[0].query
    assert q.pivot == P.TIME_PIVOTS["closedAt"]
    assert q.start == ms_to_iso(0)  # leads never closed stay out of a window
    assert q.stop == ms_to_iso(1000)


def test_time_window_on_inserted_at_uses_ms():
    q = parse("startTime=5&stopTime=9")[0].query
    assert q.pivot == P.TIME_PIVOTS["insertedAt"] and (q.start, q.stop) == (5, 9)


def test_pivot_alone_does_not_filter_and_far_future_is_clamped():
    assert parse("timePivot=lastConvertedAt")[0].query.pivot is None
    q = parse("timePivot=lastConvertedAt&startTime=999999999999999999")[0].query
    assert q.start == ms_to_iso(P.MAX_MS)


def test_boolean_filters():
    q = parse("optOut=true&eligibleForEmail=TRUE&bounced=1&isNotImported=true")[0].query
    props = {col.prop for col, _ in q.equals}
    assert props == {"hs_email_optout", "leadhub_eligible_for_email", "leadhub_email_bounced"}
    assert [(col.prop, v) for col, v in q.not_equals] == [("leadhub_imported", "true")]
    assert parse("emailOptOut=true")[0].query.equals == parse("optOut=true")[0].query.equals
    assert parse("optOut=false&bounced=false")[0].query.equals == []


def test_search_is_split_into_words():
    assert parse("search=%20Marie%20%20Curie ")[0].query.search == ["Marie", "Curie"]


@pytest.mark.parametrize(
    "query",
    ["max=abc", "max=0", "max=-3", "offset=-1", "offset=1.5", "dir=up", "sort=nope",
     "timePivot=nope", "startTime=abc", "stopTime=-1", "optOut=maybe", "optOut=true&emailOptOut=x",
     "includeDeleted=2", "excludeConversionEvents=yes please", f"offset={2**63}"],
)
def test_invalid_values_name_the_parameter(query):
    name = query.split("&")[-1].split("=")[0]
    with pytest.raises(ValidationError) as caught:
        parse(query)
    assert f"parameter {name} " in caught.value.message

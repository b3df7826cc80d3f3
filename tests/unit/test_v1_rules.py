"""Unit tests of the v1 lead rules: value conversion, sources, and PUT planning."""

from __future__ import annotations

import pytest

from leadhub.leads import fields as F
from leadhub.leads.convert import from_v1, to_v1
from leadhub.leads.update import parse_closed_at, plan_update, same


@pytest.mark.parametrize(
    ("name", "sent", "stored", "back"),
    [
        ("firstName", "Ada", "Ada", "Ada"),
        ("firstName", "", None, ""),
        ("zip", 2139, "2139", "2139"),
        ("emailOptOut", True, "true", True),
        ("emailOptOut", "FALSE", "false", False),
        ("rawScore", "421", "421", 421),
        ("rawScore", 7.0, "7", 7),
        ("score", 99.96, "99.96", 99.96),
        ("score", "40", "40", 40),
        ("closedAt", 1272997000000, "2010-05-04T18:16:40.000Z", 1272997000000),
        ("closedAt", "1323293954000", "2011-12-07T21:39:14.000Z", 1323293954000),
        ("closedAt", 0, None, 0),
        ("sourceId", 2, "REFERRALS", 2),
        ("sourceId", "7", "OTHER_CAMPAIGNS", 7),
        ("sourceId", 0, None, 0),
    ],
)
def test_values_round_trip_through_their_stored_form(name, sent, stored, back):
    field = F.BY_NAME[name]
    assert from_v1(field, sent) == stored
    assert to_v1(field, stored) == back


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("firstName", {"a": 1}),
        ("firstName", True),
        ("emailBounced", "perhaps"),
        ("emailBounced", 1),
        ("rawScore", "lots"),
        ("rawScore", 1.5),
        ("rawScore", True),
        ("score", [1]),
        ("score", "nan"),
        ("closedAt", -5),
        ("sourceId", 8),
        ("sourceId", "Referrals"),
    ],
)
def test_wrong_types_are_refused(name, sent):
    with pytest.raises(ValueError):
        from_v1(F.BY_NAME[name], sent)


def test_found_via_strings_follow_the_documents():
    assert [F.found_via(i) for i in range(1, 8)] == [
        "Organic Search", "Referrals", "Paid Search", "Direct Traffic", "Email Marketing",
        "Social Media", "Other Campaigns"]
    assert F.found_via(0) == ""
    assert F.full_found_via(2, "hubspot.com", "") == "Referrals - hubspot.com"
    assert F.full_found_via(5, "newsletter", "march") == "Email Marketing - newsletter - march"
    assert F.full_found_via(0, "", "") == ""


def test_documented_read_only_fields_are_not_editable():
    read_only = {"sourceValueModifiedAt", "leadNurturingActive", "lastConvertedAt",
                 "numConversionEvents", "customerStatusModifiedAt"}
    assert {f.name for f in F.FIELDS if not f.editable} == read_only
    assert not any(f.editable for f in (*F.ANALYTICS_FIELDS, *F.CRM_FIELDS))
    documented_derived = {"guid", "id", "leadId", "isCustomer", "lastModifiedAt", "leadJsonLink",
                          "leadLink", "portalId", "publicLeadLink", "analyticsDetails",
                          "crmDetails", "leadConversionEvents"}
    assert documented_derived <= F.DERIVED_FIELDS


@pytest.mark.parametrize(
    ("sent", "parsed"),
    [
        (1323293954000, 1323293954000),
        ("1323293954000", 1323293954000),
        (1323293954000.0, 1323293954000),
        ("", None),
        (None, None),
        (0, None),
        ("0", None),
        (True, False),
        ("soon", False),
        (-1, False),
        (1.5, False),
    ],
)
def test_closed_at_parsing(sent, parsed):
    assert parse_closed_at(sent) == parsed


CURRENT = {"guid": "g", "leadId": 5, "isCustomer": False, "score": 40, "foundVia": "",
           "analyticsDetails": {"visitCount": 2}, "insertedAt": 50, "lastModifiedAt": 100,
           "city": "Oslo"}


def plan(body):  # type: ignore[no-untyped-def]
    errors: list[tuple[str, str]] = []
    return plan_update(body, lambda: CURRENT, errors), errors


def test_plan_renders_the_lead_only_for_fields_not_editable():
    renders: list[int] = []

    def lead_json():  # type: ignore[no-untyped-def]
        renders.append(1)
        return CURRENT

    errors: list[tuple[str, str]] = []
    p = plan_update({"guid": "g", "city": "Lyon", "closedAt": "", "isDeleted": False},
                    lead_json, errors)
    assert errors == [] and renders == [] and p.contact == {"city": "Lyon"}
    plan_update({"guid": "g", "score": 40, "leadId": 5, "city": "Lyon"}, lead_json, errors)
    assert errors == [] and renders == [1]


def test_plan_splits_editable_fields_by_owner():
    p, errors = plan({"guid": "g", "city": "Lyon", "rawScore": 3, "firstUrl": "http://x/",
                      "optOut": True})
    assert errors == []
    assert p.contact == {"city": "Lyon", "hs_analytics_first_url": "http://x/",
                         "hs_email_optout": "true"}
    assert p.lead == {"leadhub_raw_score": "3"}
    assert p.closed_at is False and p.deleted is None and p.read_only == {}


def test_plan_accepts_unchanged_read_only_fields():
    p, errors = plan({"leadId": "5", "isCustomer": "false", "analyticsDetails": {"visitCount": 2},
                      "lastModifiedAt": 100})
    assert errors == [] and p.read_only == {}


@pytest.mark.parametrize(("stamp", "stale"), [(50, True), (75, True), ("99", True), (49, False),
                                              (101, False), ("soon", False), (True, False)])
def test_last_modified_at_may_be_a_stale_copy_but_not_a_new_value(stamp, stale):
    p, errors = plan({"lastModifiedAt": stamp})
    assert errors == []
    assert p.read_only == ({} if stale else {"lastModifiedAt": stamp})


def test_plan_defers_changed_read_only_fields_to_the_result_check():
    p, errors = plan({"isCustomer": True, "closedAt": 5})
    assert errors == [] and p.read_only == {"isCustomer": True} and p.closed_at == 5


def test_plan_names_every_bad_field_at_once():
    _, errors = plan({"shoeSize": 1, "rawScore": "x", "leadId": 9, "isDeleted": "gone"})
    assert sorted(name for name, _ in errors) == ["isDeleted", "leadId", "rawScore", "shoeSize"]


@pytest.mark.parametrize(
    ("sent", "current", "equal"),
    [
        ("5", 5, True), (5.0, 5, True), (True, 1, False), ("true", True, True),
        ("x", 5, False), ({"a": 1}, {"a": 1}, True), ([], [{}], False), ("a", "a", True),
    ],
)
def test_same(sent, current, equal):
    assert same(sent, current) is equal

"""HubSpot's defined association types form consistent pairs of directions."""

from __future__ import annotations

import pytest

from leadhub import crm_types as ct
from leadhub.crm import association_types as types
from leadhub.errors import ValidationError


def test_every_type_has_its_reverse_and_one_unlabeled_type_per_direction():
    for t in ct.DEFINED_TYPES:
        back = ct.DEFINED_BY_ID[t.reverse_id]
        assert (back.reverse_id, back.from_type, back.to_type) == (
            t.type_id, t.to_type, t.from_type
        )
        assert back.primary == t.primary and back.unlabeled == t.unlabeled
        unlabeled = [x for x in ct.defined_between(t.from_type, t.to_type) if x.unlabeled]
        assert len(unlabeled) == 1
    assert len({t.name for t in ct.DEFINED_TYPES}) == len(ct.DEFINED_TYPES)


def test_the_lead_type_ids_are_hubspots():
    assert [t.type_id for t in ct.defined_between(ct.LEADS, ct.CONTACTS)] == [578, 608]
    assert [t.type_id for t in ct.defined_between(ct.CONTACTS, ct.LEADS)] == [579, 607]
    assert [t.type_id for t in ct.defined_between(ct.LEADS, ct.COMPANIES)] == [610]
    assert [t.type_id for t in ct.defined_between(ct.COMPANIES, ct.LEADS)] == [609]


@pytest.mark.parametrize("name", ["leads", "LEADS", "lead", "0-136", " leads "])
def test_object_type_names(name):
    assert types.object_type(name) == ct.LEADS


@pytest.mark.parametrize("pair", [(ct.LEADS, ct.LEADS), (ct.COMPANIES, ct.COMPANIES)])
def test_pairs_without_types_cannot_associate(pair):
    with pytest.raises(ValidationError):
        types.require_pair(*pair)


def test_unknown_object_type_is_a_validation_error():
    with pytest.raises(ValidationError, match="Unable to infer object type from: deals"):
        types.object_type("deals")

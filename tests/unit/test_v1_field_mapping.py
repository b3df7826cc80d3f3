"""docs/field-mapping.md is what leads/fields.py says, and every v1 field is accounted for."""

from __future__ import annotations

import json
from pathlib import Path

from leadhub.leads import fields as F
from leadhub.leads.fieldmap import render

ROOT = Path(__file__).resolve().parents[2]


def test_field_mapping_doc_matches_the_code():
    doc = (ROOT / "docs" / "field-mapping.md").read_text()
    assert doc == render(), (
        "docs/field-mapping.md is out of date: run "
        "`PYTHONPATH=src python -m leadhub.leads.fieldmap > docs/field-mapping.md`"
    )


def test_every_field_of_the_example_lead_is_stored_or_derived():
    lead = json.loads((ROOT / "tests" / "data" / "seed-000-example-lead.json").read_text())[0]
    stored = {f.name for f in F.FIELDS}
    assert set(lead) == stored | F.DERIVED_FIELDS | {"isDeleted"}
    for nested, fields in (("analyticsDetails", F.ANALYTICS_FIELDS),
                           ("crmDetails", F.CRM_FIELDS)):
        derived = {"id", "leadGuid", "leadId", "portalId", "userToken"}
        assert set(lead[nested]) == {f.name for f in fields} | (derived & set(lead[nested]))


def test_every_property_holds_one_field():
    props = [(f.owner, f.prop) for f in (*F.FIELDS, *F.ANALYTICS_FIELDS, *F.CRM_FIELDS)]
    assert len(props) == len(set(props))

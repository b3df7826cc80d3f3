"""Each v1 field of a rendered lead is ``to_v1`` of its property on the lead or its contact.

The render reads fields through a plan made once per group of fields; this
holds it to the field table itself, for stored values of every kind, for
unset ones, and for a lead without a contact.
"""

from __future__ import annotations

from leadhub.leads import fields as F
from leadhub.leads.convert import to_v1
from leadhub.leads.render import render
from leadhub.leads.service import LeadView
from leadhub.store.objects import ObjectRow

SAMPLES = {"str": "Zo\u00eb", "bool": "true", "int": "-12", "float": "2.5",
           "ms": "2024-01-02T03:04:05.678Z", "source": "PAID_SEARCH"}
GROUPS = ((None, F.FIELDS), ("analyticsDetails", F.ANALYTICS_FIELDS),
          ("crmDetails", F.CRM_FIELDS))


def _row(object_id: int, props: dict[str, str]) -> ObjectRow:
    return ObjectRow(object_id, 7, "0-136" if object_id == 1 else "0-1", props,
                     1_600_000_000_000, 1_600_000_000_001, False, None)


def _view(every: bool, contact: bool) -> LeadView:
    props: dict[str, dict[str, str]] = {"lead": {F.GUID_PROP: "ab" * 16}, "contact": {}}
    for n, (_, fields) in enumerate(GROUPS):
        for m, f in enumerate(fields):
            if every or (n + m) % 2:
                props[f.owner][f.prop] = SAMPLES[f.kind]
    return LeadView(lead=_row(1, props["lead"]),
                    contact=_row(2, props["contact"]) if contact else None, events=[], logs=[])


def test_every_field_is_its_property_converted() -> None:
    for every in (True, False):
        for contact in (True, False):
            view = _view(every, contact)
            out = render(view, "http://x")
            for group, fields in GROUPS:
                values = out[group] if group else out
                for f in fields:
                    owner = view.lead if f.owner == "lead" else view.contact
                    stored = owner.props.get(f.prop) if owner is not None else None
                    assert values[f.name] == to_v1(f, stored), (f.name, every, contact)
            if every and contact:
                assert out["firstName"] == "Zo\u00eb" and out["rawScore"] == -12
                assert out["crmDetails"]["status"] == "Zo\u00eb"
            if not contact:
                assert out["firstName"] == "" and out["analyticsDetails"]["pageViewCount"] == 0

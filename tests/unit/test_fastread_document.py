"""The v3 point read's direct answer must be what the ordinary view and render give."""

from __future__ import annotations

import orjson
import pytest

from leadhub.crm import fastread, render, rowrender
from leadhub.crm.objects import Want, views
from leadhub.crm.property_defaults import DEFAULT_RETURNED, DEFAULTS
from leadhub.store.crm_query import LIVE_BY_ID
from leadhub.store.objects import ObjectRow

PROPS = [
    {},
    {"email": "pat@example.com", "firstname": "Pat", "lastname": "Point"},
    {"name": "Ac\u00e9me \"Ltd\"", "domain": "acme.example", "website": "x"},
    {"hs_lead_name": "Lead \u2603", "hs_lead_label": "HOT", "hs_pipeline": "lead-pipeline-id",
     "hs_pipeline_stage": "new-stage-id", "hs_lead_type": "NEW_BUSINESS", "other": "kept out"},
    # Stored values for computed names are not what is shown: the row's columns are.
    {"hs_object_id": "999", "createdate": "1", "hs_createdate": "2", "hs_lastmodifieddate": "3",
     "lastmodifieddate": "4", "hs_lead_name": None, "email": ""},
]
TIMES = [(0, 0), (1_700_000_000_123, 1_700_000_000_999), (-1_000, 253_402_300_799_999)]


def ordinary(type_id: str, object_id: int, props: dict, created: int, updated: int) -> bytes:
    row = ObjectRow(id=object_id, portal_id=1, object_type=type_id, props=props,
                    created_at=created, updated_at=updated, archived=False, archived_at=None)
    view = views(None, 1, [row], Want([], [], []), defs=DEFAULTS[type_id])[0]  # type: ignore[arg-type]
    return orjson.dumps(render.obj(view))


def test_every_type_with_all_defaults_builtin_is_served() -> None:
    assert set(rowrender.PLANS) == {
        t for t, names in DEFAULT_RETURNED.items() if set(names) <= DEFAULTS[t].keys()
    }
    assert rowrender.PLANS


@pytest.mark.parametrize("type_id", sorted(rowrender.PLANS))
@pytest.mark.parametrize("props", PROPS)
@pytest.mark.parametrize(("created", "updated"), TIMES)
def test_document_is_the_ordinary_render(type_id: str, props: dict, created: int,
                                         updated: int) -> None:
    for object_id in (1, 12345678901234):
        assert rowrender.document(type_id, object_id, dict(props), created, updated) == ordinary(
            type_id, object_id, dict(props), created, updated
        )


class Rows:
    """Stands in for the point-read connection: answers LIVE_BY_ID with whatever row it holds."""

    def __init__(self) -> None:
        self.row: tuple[str, int, int] | None = None

    def fast_rows(self, sql: str, params: tuple) -> list:
        assert sql == LIVE_BY_ID
        return [self.row] if self.row is not None else []


def test_an_answer_is_reused_only_for_the_very_same_row(monkeypatch) -> None:
    monkeypatch.setattr(rowrender, "_rendered", {})
    built: list[int] = []
    real = rowrender.document

    def counting(*args):  # type: ignore[no-untyped-def]
        built.append(args[1])
        return real(*args)

    monkeypatch.setattr(rowrender, "document", counting)
    db = Rows()
    lead = "0-136"
    db.row = ('{"hs_lead_name":"One"}', 1_700_000_000_000, 1_700_000_000_500)
    first = fastread.by_id(db, 1, lead, 42)  # type: ignore[arg-type]
    assert fastread.by_id(db, 1, lead, 42) == first and built == [42]  # type: ignore[arg-type]
    # Changed properties with the same timestamps (two writes in one millisecond).
    db.row = ('{"hs_lead_name":"Two"}', 1_700_000_000_000, 1_700_000_000_500)
    second = fastread.by_id(db, 1, lead, 42)  # type: ignore[arg-type]
    assert b'"Two"' in second and second == ordinary(lead, 42, {"hs_lead_name": "Two"},
                                                    1_700_000_000_000, 1_700_000_000_500)
    # Only a timestamp changed.
    db.row = ('{"hs_lead_name":"Two"}', 1_700_000_000_000, 1_700_000_000_501)
    third = fastread.by_id(db, 1, lead, 42)  # type: ignore[arg-type]
    assert third != second and b"20.501Z" in third
    # The same row under another type is another answer.
    contact = fastread.by_id(db, 1, "0-1", 42)  # type: ignore[arg-type]
    assert contact == ordinary("0-1", 42, {"hs_lead_name": "Two"}, 1_700_000_000_000,
                               1_700_000_000_501)
    assert built == [42, 42, 42, 42]
    db.row = None
    assert fastread.by_id(db, 1, lead, 42) is None  # type: ignore[arg-type]


def test_the_reused_answers_are_bounded(monkeypatch) -> None:
    monkeypatch.setattr(rowrender, "_rendered", {})
    monkeypatch.setattr(rowrender, "RENDERED_MAX", 3)
    db = Rows()
    db.row = ("{}", 0, 0)
    for object_id in range(10):
        fastread.by_id(db, 1, "0-2", object_id)  # type: ignore[arg-type]
        assert len(rowrender._rendered) <= 3


@pytest.mark.parametrize("type_id", sorted(rowrender.PLANS))
@pytest.mark.parametrize("props", PROPS)
@pytest.mark.parametrize(("created", "updated"), TIMES)
def test_named_is_the_ordinary_render_of_those_names(type_id: str, props: dict, created: int,
                                                    updated: int) -> None:
    every = sorted(DEFAULTS[type_id])
    for names in (tuple(every), tuple(reversed(every)), ("hs_object_id",), tuple(every[:3])):
        row = ObjectRow(id=77, portal_id=1, object_type=type_id, props=dict(props),
                        created_at=created, updated_at=updated, archived=False,
                        archived_at=None)
        view = views(None, 1, [row], Want(list(names), [], []),  # type: ignore[arg-type]
                     defs=DEFAULTS[type_id])[0]
        assert rowrender.named(type_id, 77, dict(props), created, updated, names) == (
            orjson.dumps(render.obj(view))
        )

"""A v1 list of guids read from stored documents or rows: what ``service.list_leads`` gives.

``GET /leads/v1/list?guids[0]=...`` (hubspot3's get_lead) is answered by
``LeadDocuments.stored_guids_page``: the guids matched in the lead's unique
values as ``service.guids_to_ids`` matches them, the page read by the list's
reusable text, and the documents stored or rendered from rows. These tests
compare its leads with the ordinary service's for guids of live, deleted and
missing leads, in several spellings, with and without stored documents.
"""

from __future__ import annotations

import orjson
import pytest
from starlette.datastructures import QueryParams

from leadhub import portals
from leadhub.leads import service
from leadhub.leads.documents import LeadDocuments
from leadhub.leads.docwrites import StoreLater
from leadhub.leads.params import parse_list
from leadhub.store import Database
from leadhub.store import objects as obj_store
from tests.factories import forget_documents, make_lead


def test_guid_pages_are_the_service_lists(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    if not db.fast_path:
        pytest.skip("the fast way reads a SQLite file")
    monkeypatch.setattr(StoreLater, "schedule", lambda self, view: None)
    portal_id = db.write_call(lambda conn: portals.create_portal(conn, "guid pages").id)
    made = [make_lead(db, portal_id, lastName=f"G{i}") for i in range(4)]

    def archive(conn):  # type: ignore[no-untyped-def]
        row = obj_store.get(conn, portal_id, "0-136", made[3].lead_id)
        obj_store.set_archived(conn, row, True, 1_700_000_000_000)

    db.write_call(archive)
    docs = LeadDocuments(db, "http://guids.test")
    monkeypatch.setattr(docs.cold, "inline", lambda: True)
    g = [m.guid for m in made]
    cases = [
        {"guids[0]": g[0]}, {"guids[0]": g[0].upper()}, {"guids[0]": f" {g[1]} "},
        {"guids[0]": g[3]}, {"guids[0]": g[3], "includeDeleted": "true"},
        {"guids[0]": "0" * 32}, {"guids[0]": g[0], "guids[1]": "0" * 32},
        {"guids[0]": g[2], "guids[1]": g[0], "guids[2]": g[2], "sort": "lastName", "dir": "asc"},
        {"guids[0]": g[1], "guids[1]": g[2], "max": "1", "offset": "1"},
        {"guids[0]": g[0], "search": "zzz"},
    ]
    for stored in (True, False):
        if not stored:
            forget_documents(db, portal_id)
        for params in cases:
            qp = QueryParams(params)
            req, guids = parse_list(portal_id, qp, qp.multi_items())
            body, _ = docs.stored_guids_page(req.query, guids)
            fresh, _ = parse_list(portal_id, qp, qp.multi_items())
            views = db.read_call(service.list_leads, fresh.query, with_events=True, guids=guids)
            assert [x["guid"] for x in orjson.loads(body)] == [v.guid for v in views], (
                params, stored)

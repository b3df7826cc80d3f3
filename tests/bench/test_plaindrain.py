"""The drain baseline leaves the store usable by the worker that runs after it.

``bench.plaindrain`` writes contacts and leads with ids it chooses into the
very store the benchmark goes on to use. On PostgreSQL explicit ids do not
move the objects id sequence: left behind, every object the product created
next drew an id the baseline had taken, failed on ``objects_pkey``, and the
post-to-readable scenario waited for a lead that never came.
"""

from __future__ import annotations

from bench import plaindrain
from bench.forms import FORM
from leadhub import crm_types as ct
from leadhub import portals
from leadhub.store import Database
from leadhub.store import forms as form_store
from leadhub.store import objects as obj_store
from leadhub.store import queue as queue_store
from leadhub.util import now_ms


def test_objects_created_after_the_baseline_get_free_ids(db: Database, store_url: str) -> None:
    now = now_ms()
    with db.write() as conn:
        portals.create_portal(conn, "Bench", plaindrain.PORTAL)
        form = form_store.create_form(conn, plaindrain.PORTAL, FORM, "bench-form-guid", now)
        # What the worker left before the baseline runs: a lead and its done submission.
        lead = obj_store.insert(
            conn, plaindrain.PORTAL, ct.LEADS, {"hs_lead_name": "Before"},
            obj_store.Change(now, "FORM"),
        )
        queue_store.enqueue(conn, [{
            "guid": "bench-submission", "portal_id": plaindrain.PORTAL, "form_id": form.id,
            "form_name": FORM, "form_guid": form.guid, "fields": [], "received_at": now,
        }])
        submission = queue_store.get_submission(conn, "bench-submission")
        assert submission is not None
        queue_store.mark_done(conn, submission.id, lead.id, now)

    plaindrain.drain(store_url, 10)  # 10 contacts and 10 leads with ids of its choosing

    with db.write() as conn:
        taken = conn.exec_driver_sql("SELECT max(id) FROM objects").scalar_one()
        assert taken >= lead.id + 20
        after = obj_store.insert(
            conn, plaindrain.PORTAL, ct.CONTACTS, {"email": "after@example.com"},
            obj_store.Change(now_ms(), "FORM"),
        )
    assert after.id > taken

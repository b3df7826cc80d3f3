"""The queue-drain baseline: the rows the worker writes for new people, by plain executemany.

For each submission from a new person the worker writes a contact and a lead
(objects), their unique values (email, user token, lead guid), the two
association rows, a property history row per property, the conversion event,
and marks the submission done. This writes the same rows for ``N`` such
submissions (worked out before the clock starts) into the same store, one
transaction per batch of 10 as the worker's default batch, with
``synchronous=FULL`` on SQLite; only the executemany calls and commits are
timed. On PostgreSQL the objects id sequence is then moved past the ids
written (untimed, once). Run as ``python -m bench.plaindrain STORE_URL N`` on
a store whose worker has processed at least N submissions.
"""

from __future__ import annotations

import secrets
import sys
import time
from typing import Any

import orjson

from bench import stores
from bench.dataset import PORTAL
from bench.forms import FORM, fields
from bench.plainload import INSERTS as LOAD_INSERTS
from leadhub.ingest.fields import LABELS
from leadhub.util import now_ms

BATCH = 10
CONTACT_PROPS = {
    "FirstName": "firstname", "LastName": "lastname", "Email": "email", "Company": "company",
    "JobTitle": "jobtitle", "City": "city", "Country": "country", "Phone": "phone",
    "IPAddress": "leadhub_ip_address", "UserToken": "leadhub_user_token",
}
INSERTS = {
    "objects": LOAD_INSERTS["objects"],
    "unique_values": LOAD_INSERTS["unique_values"],
    "associations": LOAD_INSERTS["associations"],
    "property_history": "INSERT INTO property_history (portal_id, object_id, property, value, "
    "timestamp, source_type, source_id) VALUES (?, ?, ?, ?, ?, 'FORM', ?)",
    "conversion_events": "INSERT INTO conversion_events (guid, portal_id, lead_id, convert_date, "
    "form_guid, form_id, form_name, page_name, page_type, page_url, fields) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)",
    "submissions": "UPDATE submissions SET status = 'done', processed_at = ?, lead_id = ?, "
    "claimed_by = NULL WHERE id = ?",
}


def _rows(
    n: int, contact_id: int, submission_id: int, form: tuple[str, int], now: int
) -> dict[str, list[tuple]]:
    form_guid, form_id = form
    lead_id = contact_id + 1
    posted = fields("plain", n)
    contact = {CONTACT_PROPS[k]: v for k, v in posted.items() if k in CONTACT_PROPS}
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now / 1000))
    guid = secrets.token_hex(16)
    lead = {
        "hs_lead_name": f"{posted['FirstName']} {posted['LastName']}",
        "leadhub_guid": secrets.token_hex(16),
        "leadhub_public_token": secrets.token_urlsafe(16),
        "leadhub_first_converted_at": stamp, "leadhub_last_converted_at": stamp,
        "leadhub_num_conversion_events": "1",
    }
    values = [
        {"id": 1001 + i, "fieldName": k, "fieldValue": v, "fieldLabel": LABELS.get(k.lower(), k)}
        for i, (k, v) in enumerate(posted.items())
    ]
    history = [(PORTAL, contact_id, k, v, now, form_guid) for k, v in contact.items()]
    history += [(PORTAL, lead_id, k, v, now, form_guid) for k, v in lead.items()]
    return {
        "objects": [
            (contact_id, PORTAL, "0-1", orjson.dumps(contact).decode(), now, now),
            (lead_id, PORTAL, "0-136", orjson.dumps(lead).decode(), now, now),
        ],
        "unique_values": [
            (PORTAL, "0-1", "email", contact["email"], contact_id),
            (PORTAL, "0-1", "leadhub_user_token", contact["leadhub_user_token"], contact_id),
            (PORTAL, "0-136", "leadhub_guid", lead["leadhub_guid"], lead_id),
        ],
        "associations": [
            (PORTAL, lead_id, 578, contact_id, "0-136", "0-1", now),
            (PORTAL, contact_id, 579, lead_id, "0-1", "0-136", now),
        ],
        "property_history": history,
        "conversion_events": [(
            guid, PORTAL, lead_id, now, form_guid, form_id, FORM, posted["pageName"],
            posted["pageUrl"], orjson.dumps(values).decode(),
        )],
        "submissions": [(now, lead_id, submission_id)],
    }


def drain(store: str, count: int) -> float:
    """Seconds spent in executemany and commit writing ``count`` submissions' rows."""
    con = stores.connect(store)
    form = con.execute(stores.sql(
        con, "SELECT guid, id FROM forms WHERE portal_id = ? AND name = ?"), (PORTAL, FORM)
    ).fetchone()
    done = [r[0] for r in con.execute(stores.sql(
        con, "SELECT id FROM submissions WHERE status = 'done' ORDER BY id LIMIT ?"), (count,))]
    next_id = con.execute("SELECT coalesce(max(id), 0) FROM objects").fetchone()[0] + 1
    now = now_ms()
    batches = []
    for start in range(0, count, BATCH):
        batch: dict[str, list[tuple]] = {name: [] for name in INSERTS}
        for n in range(start, min(start + BATCH, count)):
            rows = _rows(n, next_id + 2 * n, done[n % len(done)], form, now)
            for name, values in rows.items():
                batch[name] += values
        batches.append(batch)
    spent = 0.0
    for batch in batches:
        t = time.perf_counter()
        con.execute(stores.sql(con, "BEGIN IMMEDIATE"))
        for table, sql in INSERTS.items():
            con.cursor().executemany(stores.sql(con, sql), batch[table])
        con.execute("COMMIT")
        spent += time.perf_counter() - t
    if stores.is_pg(con):
        _advance_id_sequence(con)
    con.close()
    return spent


def _advance_id_sequence(con: Any) -> None:
    """Move PostgreSQL's objects id sequence past the ids chosen here, as the store does
    for explicit ids (store/objects.py).

    Explicit ids do not move the sequence (SQLite's AUTOINCREMENT follows them, so
    only PostgreSQL needs this). Left behind, the worker's next new contacts and
    leads draw ids this baseline took: every insert fails on ``objects_pkey``, the
    worker retries the submission as a conflict, and a post stays unreadable until
    failed draws have used up the sequence values of all these rows.
    """
    con.execute(
        "SELECT setval(pg_get_serial_sequence('objects', 'id'), GREATEST("
        "(SELECT max(id) FROM objects), "
        "COALESCE(pg_sequence_last_value(pg_get_serial_sequence('objects', 'id')), 0)))"
    )


if __name__ == "__main__":
    print(f"{drain(sys.argv[1], int(sys.argv[2])):.4f}")

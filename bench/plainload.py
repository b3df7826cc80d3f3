"""The bulk-load baseline: the rows ``leadhub import`` writes, by plain executemany.

The rows (objects, unique values, associations, property history) are worked
out before the clock starts; only the executemany calls and the commits, one
transaction per 5,000 leads as the import does, are timed. Run as
``python -m bench.plainload STORE CSV`` on a migrated store with portal 1
(STORE: a SQLite file or a store URL, PostgreSQL's written through psycopg).
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from bench import stores
from bench.dataset import PORTAL
from leadhub.leads import fields as F
from leadhub.leads import service
from leadhub.leads.importer import _parse
from leadhub.util import now_ms

BATCH = 5_000
INSERTS = {
    "objects": "INSERT INTO objects (id, portal_id, object_type, props, created_at, updated_at, "
    "archived, archived_at) VALUES (?, ?, ?, ?, ?, ?, FALSE, NULL)",
    "unique_values": "INSERT INTO unique_values (portal_id, object_type, property, value, "
    "object_id) VALUES (?, ?, ?, ?, ?)",
    "associations": "INSERT INTO associations (portal_id, from_id, type_id, to_id, category, "
    "from_type, to_type, created_at) VALUES (?, ?, ?, ?, 'HUBSPOT_DEFINED', ?, ?, ?)",
    "property_history": "INSERT INTO property_history (portal_id, object_id, property, value, "
    "timestamp, source_type, source_id) VALUES (?, ?, ?, ?, ?, 'IMPORT', ?)",
}


def _rows(batch: list[dict[str, str]], next_id: int, now: int) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {name: [] for name in INSERTS}
    for n, raw in enumerate(batch):
        row = _parse(n, raw, now)
        contact_id, lead_id = next_id + n, next_id + len(batch) + n
        lead = dict(row.lead)
        lead[F.LEAD_NAME_PROP] = service.lead_name(row.contact)
        lead[F.GUID_PROP] = row.guid or ""
        lead[service.PUBLIC_TOKEN_PROP] = service.new_public_token()
        for oid, kind, props in ((contact_id, "0-1", row.contact), (lead_id, "0-136", lead)):
            out["objects"].append(
                (oid, PORTAL, kind, orjson.dumps(props).decode(), row.created_at, row.updated_at)
            )
            out["property_history"].extend(
                (PORTAL, oid, k, v, now, "import:plain") for k, v in props.items()
            )
        out["unique_values"].append(
            (PORTAL, "0-1", "email", service.normalize_email(row.contact["email"]), contact_id)
        )
        out["unique_values"].append((PORTAL, "0-136", F.GUID_PROP, row.guid, lead_id))
        out["associations"].append((PORTAL, lead_id, 578, contact_id, "0-136", "0-1", now))
        out["associations"].append((PORTAL, contact_id, 579, lead_id, "0-1", "0-136", now))
    return out


def load(store: str, csv_path: Path) -> float:
    """Seconds spent in executemany and commit writing every row of the CSV."""
    con = stores.connect(store if "://" in store else f"sqlite:///{store}")
    next_id = (con.execute("SELECT coalesce(max(id), 0) FROM objects").fetchone()[0]) + 1
    spent = 0.0
    now = now_ms()
    with csv_path.open(newline="") as f:
        reader = csv.DictReader(f)
        batch: list[dict[str, str]] = []
        for raw in reader:
            batch.append(raw)
            if len(batch) == BATCH:
                spent += _write(con, _rows(batch, next_id, now))
                next_id += 2 * len(batch)
                batch = []
        if batch:
            spent += _write(con, _rows(batch, next_id, now))
    con.close()
    return spent


def _write(con: Any, rows: dict[str, list[tuple]]) -> float:
    start = time.perf_counter()
    con.execute(stores.sql(con, "BEGIN IMMEDIATE"))
    for table, sql in INSERTS.items():
        con.cursor().executemany(stores.sql(con, sql), rows[table])
    con.execute("COMMIT")
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"{load(sys.argv[1], Path(sys.argv[2])):.3f}")

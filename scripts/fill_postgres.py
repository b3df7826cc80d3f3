"""Fill a migrated PostgreSQL leadhub store with many v1 leads, fast (COPY).

For looking at query plans and load on a realistic size, e.g.:

    PYTHONPATH=src python -m leadhub db upgrade --database-url postgresql://.../big
    PYTHONPATH=src python scripts/fill_postgres.py postgresql://.../big --leads 1000000

Writes portal ``--portal`` (with access token ``--token``), one contact and one
lead per row, the lead's primary-contact association both ways, and the
unique email and guid claims: the same rows leadhub writes, minus property
history. Then ANALYZE, so the planner knows the new size.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid

import orjson
import psycopg

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Ken", "Linus", "Margaret",
         "Tim", "Guido", "Frances", "John", "Radia", "Leslie", "Niklaus", "Sophie", "Hedy"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Thompson", "Torvalds",
        "Hamilton", "Berners-Lee", "van Rossum", "Allen", "Backus", "Perlman", "Lamport",
        "Wirth", "Wilson", "Lamarr"]
WORDS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell",
         "cyberdyne", "soylent", "vandelay", "aperture", "monarch", "oscorp", "dunder"]


def main() -> None:
    """Parse arguments and fill the store."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--leads", type=int, default=1_000_000)
    ap.add_argument("--portal", type=int, default=100)
    ap.add_argument("--token", default="pat-lh1-bench-token")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    fill(args.url, args.leads, args.portal, args.token, random.Random(args.seed))


def fill(url: str, n: int, portal: int, token: str, rnd: random.Random) -> None:
    """Write ``n`` leads with their contacts into portal ``portal``."""
    t0 = time.monotonic()
    now = int(time.time() * 1000)
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO portals (id, name, created_at, settings) VALUES (%s, %s, %s, '{}') "
            "ON CONFLICT DO NOTHING", (portal, "Big portal", now))
        conn.execute(
            "INSERT INTO tokens (token, portal_id, name, created_at) VALUES (%s, %s, 'bench', %s)"
            " ON CONFLICT DO NOTHING", (token, portal, now))
        base = conn.execute("SELECT COALESCE(MAX(id), 0) FROM objects").fetchone()[0] + 1
        cur = conn.cursor()
        objects_rows, uniques, assocs = [], [], []
        for i in range(n):
            lead_id, contact_id = base + 2 * i, base + 2 * i + 1
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            company = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)}"
            email = f"{first}.{last}.{i}@{rnd.choice(WORDS)}.example".lower()
            created = now - rnd.randrange(3 * 365 * 86_400_000)
            guid = uuid.UUID(int=rnd.getrandbits(128)).hex
            contact = {"firstname": first, "lastname": last, "email": email, "company": company}
            lead = {"hs_lead_name": f"{first} {last}", "leadhub_guid": guid}
            objects_rows.append((lead_id, portal, "0-136", orjson.dumps(lead).decode(),
                                 created, created, False))
            objects_rows.append((contact_id, portal, "0-1", orjson.dumps(contact).decode(),
                                 created, created, False))
            uniques.append((portal, "0-1", "email", email, contact_id))
            uniques.append((portal, "0-136", "leadhub_guid", guid, lead_id))
            assocs.append((portal, lead_id, 578, contact_id, "HUBSPOT_DEFINED", "0-136", "0-1",
                           created))
            assocs.append((portal, contact_id, 579, lead_id, "HUBSPOT_DEFINED", "0-1", "0-136",
                           created))
        _copy(cur, "objects (id, portal_id, object_type, props, created_at, updated_at, archived)",
              objects_rows)
        _copy(cur, "unique_values (portal_id, object_type, property, value, object_id)", uniques)
        _copy(cur, "associations (portal_id, from_id, type_id, to_id, category, from_type, "
              "to_type, created_at)", assocs)
        conn.execute("SELECT setval(pg_get_serial_sequence('objects', 'id'), "
                     "(SELECT MAX(id) FROM objects))")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    print(f"{n} leads in portal {portal} (token {token}) in {time.monotonic() - t0:.0f} s")


def _copy(cur: psycopg.Cursor, target: str, rows: list[tuple]) -> None:
    with cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


if __name__ == "__main__":
    main()

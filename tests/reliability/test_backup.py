"""leadhub backup copies a live SQLite store consistently; leadhub restore brings it back."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from leadhub import portals
from leadhub.store import Database
from leadhub.store.migrate import upgrade
from tests.conftest import _python_path, start_server
from tests.reliability.helpers import make_lead


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadhub", *args],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": _python_path()},
    )


@pytest.fixture
def store(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    database = Database(url)
    upgrade(database)

    def make(conn):  # type: ignore[no-untyped-def]
        p = portals.create_portal(conn, "Backed up")
        return p.id, portals.create_token(conn, p.id).token

    pid, token = database.write_call(make)
    yield url, database, pid, token
    database.dispose()


def _consistency_problems(path: Path) -> list[str]:
    """Invariants that hold after every committed transaction of the store."""
    conn = sqlite3.connect(path)
    try:
        problems = []
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity_check failed")
        # Every lead has its guid claimed and its primary contact linked, in one transaction.
        orphans = conn.execute(
            """SELECT count(*) FROM objects o WHERE o.object_type = '0-136' AND (
                 NOT EXISTS (SELECT 1 FROM unique_values u WHERE u.object_id = o.id)
              OR NOT EXISTS (SELECT 1 FROM associations a WHERE a.from_id = o.id))"""
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} leads without guid or contact")
        dangling = conn.execute(
            "SELECT count(*) FROM unique_values u WHERE NOT EXISTS "
            "(SELECT 1 FROM objects o WHERE o.id = u.object_id)"
        ).fetchone()[0]
        if dangling:
            problems.append(f"{dangling} unique values without their object")
        return problems
    finally:
        conn.close()


def _lead_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        query = "SELECT count(*) FROM objects WHERE object_type = '0-136'"
        return int(conn.execute(query).fetchone()[0])
    finally:
        conn.close()


def test_backup_of_a_live_store_is_consistent_and_restores(store, tmp_path):
    url, database, pid, token = store
    server = start_server(url, tmp_path)
    stop = threading.Event()
    written: list[str] = []
    errors: list[BaseException] = []

    def writer() -> None:
        # Leads created in the store and updated through the API while the backup runs.
        try:
            with server.client(token) as c:
                i = 0
                while not stop.is_set() and i < 2000:
                    guid = make_lead(database, pid, email=f"w{i}@example.com", firstName=f"W{i}")
                    written.append(guid)
                    r = c.put(f"/leads/v1/lead/{guid}", json={"guid": guid, "city": f"C{i}"})
                    assert r.status_code == 200, r.text
                    i += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    try:
        thread.start()
        while len(written) < 20:
            assert thread.is_alive(), errors
            stop.wait(0.01)
        backups = []
        for n in range(3):
            out = tmp_path / f"backup-{n}.db"
            committed = len(written)
            result = _cli("backup", "--output", str(out), "--database-url", url)
            assert result.returncode == 0, result.stderr
            assert "Traceback" not in result.stderr
            backups.append((out, committed))
        stop.set()
        thread.join(60)
        assert not errors, errors
        for out, committed in backups:
            assert _consistency_problems(out) == []
            # No -wal file is needed: the copy is one self-contained file.
            assert not Path(f"{out}-wal").exists()
            # Everything committed before the backup started is in it.
            assert _lead_count(out) >= committed
        final_count = len(written)
        assert _lead_count(tmp_path / "live.db") == final_count
    finally:
        stop.set()
        thread.join(60)
        server.stop()

    # Restore the first backup over the live store, then serve it.
    first, _ = backups[0]
    kept = _lead_count(first)
    refused = _cli("restore", "--input", str(first), "--database-url", url)
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert _lead_count(tmp_path / "live.db") == final_count
    result = _cli("restore", "--input", str(first), "--database-url", url, "--force")
    assert result.returncode == 0, result.stderr
    assert _lead_count(tmp_path / "live.db") == kept < final_count
    server = start_server(url, tmp_path)
    try:
        with server.client(token) as c:
            guid = written[0]
            got = c.get(f"/leads/v1/lead/{guid}")
            assert got.status_code == 200 and got.json()[0]["email"] == "w0@example.com"
            missing = c.get(f"/leads/v1/lead/{written[-1]}")
            assert missing.status_code == 404
    finally:
        server.stop()


def test_backup_and_restore_refuse_what_they_cannot_do(store, tmp_path):
    url, *_ = store
    out = tmp_path / "b.db"
    assert _cli("backup", "-o", str(out), "--database-url", url).returncode == 0
    again = _cli("backup", "-o", str(out), "--database-url", url)
    assert again.returncode == 1 and "--force" in again.stderr
    assert _cli("backup", "-o", str(out), "--database-url", url, "--force").returncode == 0
    pg = _cli("backup", "-o", str(tmp_path / "x"), "--database-url", "postgresql://h/db")
    assert pg.returncode == 1 and "pg_dump" in pg.stderr
    missing = _cli("backup", "-o", str(tmp_path / "y"), "--database-url",
                   f"sqlite:///{tmp_path / 'nope.db'}")
    assert missing.returncode == 1 and "no store" in missing.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    bad = _cli("restore", "-i", str(junk), "--database-url", f"sqlite:///{tmp_path / 'n.db'}")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    other = _cli("restore", "-i", str(foreign), "--database-url", f"sqlite:///{tmp_path / 'n.db'}")
    assert other.returncode == 1 and "not a leadhub store" in other.stderr
    # Restoring into a new, empty location needs no --force and yields a working store.
    fresh = tmp_path / "fresh.db"
    ok = _cli("restore", "-i", str(out), "--database-url", f"sqlite:///{fresh}")
    assert ok.returncode == 0, ok.stderr
    listed = _cli("portal", "list", "--database-url", f"sqlite:///{fresh}")
    assert "Backed up" in listed.stdout

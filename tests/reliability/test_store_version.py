"""A leadhub refuses to serve a store that a newer leadhub has migrated, with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from tests.conftest import _python_path, free_port


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadhub", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": _python_path()},
    )


def test_serve_refuses_a_store_newer_than_its_migrations(db, store_url):
    with db.write() as conn:
        current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    try:
        for args in (
            ("serve", "--port", str(free_port()), "--database-url", store_url),
            ("db", "upgrade", "--database-url", store_url),
            ("portal", "list", "--database-url", store_url),
        ):
            result = _run(*args)
            assert result.returncode == 1, result
            assert "9999_from_the_future" in result.stderr
            assert "newer leadhub" in result.stderr
            assert "Traceback" not in result.stderr + result.stdout
        with db.read() as conn:
            # Refusing changed nothing: the store is still at the newer revision.
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            assert version == "9999_from_the_future"
    finally:
        with db.write() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": current})


def test_serve_on_an_unreachable_store_fails_cleanly():
    result = _run(
        "serve", "--port", str(free_port()),
        "--database-url", f"postgresql://postgres@127.0.0.1:{free_port()}/nothing",
    )
    assert result.returncode == 1
    assert "cannot open the store" in result.stderr
    assert "Traceback" not in result.stderr

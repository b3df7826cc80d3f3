"""Fixtures: a real store (SQLite file and PostgreSQL) and a real leadhub server.

Every store-touching test runs on both stores through the ``store_url``
fixture. PostgreSQL is the server of this machine (127.0.0.1:5432, user
postgres); each test gets a database of its own. Without a reachable server
the PostgreSQL cases are skipped with a clear reason, unless
LEADHUB_REQUIRE_POSTGRES=1 (as in CI), where they fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import leadhub
from leadhub import portals
from leadhub.store import Database
from leadhub.store.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "LEADHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("LEADHUB_REQUIRE_POSTGRES") == "1"


def _pg_available() -> str | None:
    """None if PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}"


_PG_PROBLEM: str | None | bool = False


def pg_problem() -> str | None:
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _pg_available()
    return _PG_PROBLEM  # type: ignore[return-value]


def pytest_report_header(config: pytest.Config) -> str:
    problem = pg_problem()
    if problem is None:
        return "leadhub stores: sqlite, postgresql"
    return f"leadhub stores: sqlite only; SKIPPING PostgreSQL tests: {problem}"


def pytest_unconfigure(config: pytest.Config) -> None:
    """Say last, where nobody can miss it, that the PostgreSQL half did not run."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or hasattr(config, "workerinput") or REQUIRE_PG:
        return  # (with LEADHUB_REQUIRE_POSTGRES=1 the PostgreSQL cases fail instead)
    problem = pg_problem()
    if problem is None:
        return
    skipped = [r for r in reporter.stats.get("skipped", []) if "[postgresql" in r.nodeid]
    reporter.write_sep(
        "!", f"PostgreSQL store NOT TESTED: {len(skipped)} tests skipped", red=True, bold=True
    )
    reporter.write_line(problem, red=True)
    reporter.write_line(
        "Start PostgreSQL on 127.0.0.1:5432 (user postgres) or set LEADHUB_TEST_POSTGRES_URL; "
        "CI sets LEADHUB_REQUIRE_POSTGRES=1 and fails instead of skipping.", red=True
    )


def _create_pg_database() -> tuple[str, str]:
    import psycopg

    name = f"leadhub_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL of an empty store: a SQLite file, or a fresh PostgreSQL database.

    Module-scoped: a test module shares one store (and one server); tests
    keep out of each other's way by working in portals of their own.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'leadhub.db'}"
        return
    problem = pg_problem()
    if problem is not None:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (LEADHUB_REQUIRE_POSTGRES=1): {problem}")
        pytest.skip(problem)
    name, url = _create_pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture(scope="module")
def private_pg() -> Iterator[Any]:
    """A PostgreSQL server of the module's own (tests/pgserver.py), stopped and removed
    at the end."""
    from tests import pgserver

    problem = pgserver.problem()
    if problem is not None:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (LEADHUB_REQUIRE_POSTGRES=1): {problem}")
        pytest.skip(f"cannot run a private PostgreSQL server: {problem}")
    pg = pgserver.PrivatePostgres()
    try:
        yield pg
    finally:
        pg.destroy()


@pytest.fixture(scope="module")
def quiet_pg_url(private_pg: Any) -> str:
    """A database on a PostgreSQL server of the module's own.

    For tests of what PostgreSQL's snapshot says (store/pgbatch.py kept answers):
    the snapshot is the whole server's, and on the shared one the other tests'
    commits move it at any moment."""
    return str(private_pg.create_database("quiet"))


@pytest.fixture(scope="module")
def db(store_url: str) -> Iterator[Database]:
    """A migrated store."""
    database = Database(store_url)
    upgrade(database)
    yield database
    database.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``leadhub serve`` process and two portals with a token each."""

    url: str
    database_url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    log_file: Any = None

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client, with a bearer token when given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log_file is not None:
            self.log_file.close()


def _python_path() -> str:
    """PYTHONPATH for child processes: the leadhub under test comes first."""
    src = str(Path(leadhub.__file__).resolve().parents[1])
    rest = os.environ.get("PYTHONPATH")
    return f"{src}{os.pathsep}{rest}" if rest else src


def start_server(
    database_url: str,
    log_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 30,
) -> Server:
    """Start ``leadhub serve`` on a free port and wait (up to ``timeout`` s) until /healthz
    answers."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    log_file = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leadhub",
            "serve",
            "--port",
            str(port),
            "--database-url",
            database_url,
            *args,
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": _python_path(), **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    server = Server(
        url=url, database_url=database_url, proc=proc, log_path=log_path, log_file=log_file
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"leadhub exited with {proc.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"leadhub did not become healthy:\n{server.log()}")


@dataclass
class PortalCtx:
    """A portal of its own for one test, with a token and an HTTP client."""

    id: int
    token: str
    server: Server

    def client(self) -> httpx.Client:
        return self.server.client(self.token)


def make_portal(db: Database, server: Server, name: str = "Test portal") -> PortalCtx:
    """Create a portal and token in the server's store."""

    def make(conn):  # type: ignore[no-untyped-def]
        p = portals.create_portal(conn, name)
        return p.id, portals.create_token(conn, p.id).token

    pid, token = db.write_call(make)
    return PortalCtx(pid, token, server)


@pytest.fixture(scope="module")
def server(
    db: Database, store_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A real leadhub server on a fresh store (one per test module and store)."""
    srv = start_server(store_url, tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()


@pytest.fixture
def portal(db: Database, server: Server) -> PortalCtx:
    """A fresh portal on the module's server."""
    return make_portal(db, server, "Portal A")


@pytest.fixture
def other_portal(db: Database, server: Server) -> PortalCtx:
    """A second fresh portal, for isolation checks."""
    return make_portal(db, server, "Portal B")


@pytest.fixture(scope="module")
def demo_server(
    db: Database, store_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A real leadhub server started with --demo (portal 62515 and the sample lead)."""
    srv = start_server(store_url, tmp_path_factory.mktemp("server"), "--demo")
    yield srv
    srv.stop()

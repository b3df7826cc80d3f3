"""A private PostgreSQL server for tests that must stop the database server itself.

The shared server (``LEADHUB_TEST_POSTGRES_URL``) is never stopped: a test
that takes the database away runs its own instance, made with ``initdb`` in
a temporary directory and listening on a free port of 127.0.0.1. The
binaries are found through ``LEADHUB_TEST_PG_BINDIR``, ``pg_ctl`` on the
PATH, or the newest ``/usr/lib/postgresql/*/bin``. ``initdb`` refuses to run
as root; as root, the server runs as the ``postgres`` OS user (``runuser``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BINDIR_ENV = "LEADHUB_TEST_PG_BINDIR"
OS_USER = "postgres"


def _bindir() -> Path | None:
    given = os.environ.get(BINDIR_ENV)
    if given:
        return Path(given)
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2] or 0)
    )
    return Path(found[-1]) if found else None


def problem() -> str | None:
    """None if a private server can be run here, else why not."""
    bindir = _bindir()
    if bindir is None:
        return f"no PostgreSQL server binaries (initdb, pg_ctl); set {BINDIR_ENV}"
    for name in ("initdb", "pg_ctl", "postgres"):
        if not (bindir / name).is_file():
            return f"{bindir / name} not found (set {BINDIR_ENV})"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            return f"running as root and there is no {OS_USER!r} OS user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is not available"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """One throw-away PostgreSQL server: ``start``, ``stop(mode)``, ``destroy``."""

    def __init__(self) -> None:
        bindir = _bindir()
        assert bindir is not None, problem()
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="leadhub-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        try:
            self._create()
        except BaseException:
            self.destroy()
            raise

    def _create(self) -> None:
        if self.as_root:
            info = pwd.getpwnam(OS_USER)
            os.chown(self.root, info.pw_uid, info.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8", "--locale=C",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\nmax_connections = 100\n"
                "shared_buffers = 32MB\n"
                # Durability as in production: a commit is on disk before it is answered.
                "fsync = on\nsynchronous_commit = on\n"
                # Nothing but the tests writes (no transaction of autovacuum's moves the
                # snapshot under the tests of what it says: tests/conftest.py).
                "autovacuum = off\n"
            )
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", OS_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stdout}{done.stderr}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections (after any recovery)."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``immediate`` is a crash: no checkpoint, clients cut off."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> str:
        """Create a database; returns its URL."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def destroy(self) -> None:
        """Stop the server if it runs and remove every file of it."""
        try:
            if self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

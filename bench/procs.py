"""Starting the servers under test, each pinned to the server core, and stopping them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER_CPU = 0
LOAD_CPU = 1


def pinned(cpu: int, argv: list[str]) -> list[str]:
    """A command line that runs ``argv`` on one CPU only."""
    return ["taskset", "-c", str(cpu), *argv]


def python_env() -> dict[str, str]:
    """The environment for Python children: this checkout's leadhub first."""
    rest = os.environ.get("PYTHONPATH")
    src = str(ROOT / "src")
    return {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{rest}" if rest else src}


def free_port() -> int:
    """A TCP port on loopback that nothing listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server process and its base URL."""

    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def rss_kib(self) -> tuple[int, int]:
        """The process's resident memory now and at its peak, in KiB."""
        now = peak = 0
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
        return now, peak

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after ten seconds)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(
    name: str, argv: list[str], port: int, ready_path: str, log_dir: Path,
    env: dict[str, str] | None = None, headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Server:
    """Start a server on the server CPU and wait until ``ready_path`` answers."""
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            pinned(SERVER_CPU, argv), stdout=out, stderr=subprocess.STDOUT,
            env=env or python_env(), cwd=ROOT,
        )
    server = Server(name, f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            req = urllib.request.Request(server.url + ready_path, headers=headers or {})
            with urllib.request.urlopen(req, timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    server.stop()
    tail = log.read_text()[-3000:]
    raise RuntimeError(f"{name} did not answer {ready_path} in {timeout}s:\n{tail}")


def leadhub(database_url: str, log_dir: Path, *extra: str) -> Server:
    """``leadhub serve`` on a store (``extra``: more options, e.g. ``--no-worker``)."""
    port = free_port()
    return start(
        "leadhub",
        [sys.executable, "-m", "leadhub", "serve", "--port", str(port),
         "--database-url", database_url, *extra],
        port, "/healthz", log_dir,
    )


def worker(database_url: str, log_dir: Path) -> subprocess.Popen[bytes]:
    """``leadhub worker`` on a store, on the server CPU."""
    log = log_dir / "worker.log"
    with log.open("wb") as out:
        return subprocess.Popen(
            pinned(SERVER_CPU, [sys.executable, "-m", "leadhub", "worker", "--no-callbacks",
                                "--database-url", database_url]),
            stdout=out, stderr=subprocess.STDOUT, env=python_env(), cwd=ROOT,
        )


def ceiling(body: Path, log_dir: Path) -> Server:
    """The raw ASGI app on uvicorn, with the same uvicorn settings as ``leadhub serve``."""
    port = free_port()
    return start(
        "ceiling",
        [sys.executable, "-m", "uvicorn", "bench.ceiling:app", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        port, "/", log_dir, env={**python_env(), "LEADHUB_BENCH_BODY": str(body)},
    )


def json_server(node_bin: Path, db_json: Path, log_dir: Path) -> Server:
    """json-server serving a JSON file with the lead in it."""
    port = free_port()
    return start(
        "json-server",
        [str(node_bin / "json-server"), str(db_json), "--port", str(port), "--quiet"],
        port, "/leads", log_dir, env=dict(os.environ),
    )


def prism(node_bin: Path, spec: Path, log_dir: Path, path: str) -> Server:
    """Stoplight Prism mocking HubSpot's leads spec (its example set to the lead)."""
    port = free_port()
    return start(
        "prism",
        [str(node_bin / "prism"), "mock", str(spec), "-h", "127.0.0.1", "-p", str(port)],
        port, path, log_dir, env=dict(os.environ),
        headers={"Authorization": "Bearer bench"}, timeout=120,
    )

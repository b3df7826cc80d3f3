"""Running wrk on the load CPU against a list of requests and reading its numbers."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.procs import LOAD_CPU, pinned

LUA = Path(__file__).with_name("requests.lua")


@dataclass
class Result:
    """One wrk run."""

    requests: int
    seconds: float
    errors: int  # socket errors and timeouts
    bad_status: int  # responses other than 2xx/3xx
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def write_requests(
    path: Path, lines: list[tuple[str, str, str]], content_type: str = ""
) -> Path:
    """Store (method, path, body) requests for requests.lua, one a line.

    The bodies are sent as JSON unless ``content_type`` names another type.
    """
    tail = f"\t{content_type}" if content_type else ""
    with path.open("w") as f:
        for method, target, body in lines:
            assert "\t" not in target + body and "\n" not in target + body
            f.write(f"{method}\t{target}\t{body}{tail}\n")
    return path


def run(
    url: str, requests_file: Path, *, connections: int, seconds: float, token: str = "bench",
    timeout_s: int = 10, start: int = 0,
) -> Result:
    """One bounded wrk run (one thread) with the given connections, from line ``start`` on."""
    argv = pinned(LOAD_CPU, [
        "wrk", "-t1", f"-c{connections}", f"-d{max(seconds, 1):g}s", f"--timeout={timeout_s}s",
        "-s", str(LUA), url, "--", str(requests_file), token, str(start),
    ])
    out = subprocess.run(
        argv, capture_output=True, text=True, timeout=seconds + timeout_s + 30, check=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON "):])
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["errors"],
        bad_status=data["status"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )

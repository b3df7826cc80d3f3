"""Installing what the benchmarks need on a fresh machine: wrk, json-server and Prism."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

NODE_DIR = Path(__file__).with_name(".node")
NODE_BIN = NODE_DIR / "node_modules" / ".bin"
NODE_PACKAGES = ("json-server@0.17.4", "@stoplight/prism-cli@5.14.2")


def _apt(*packages: str) -> None:
    if os.geteuid() != 0:
        raise SystemExit(f"please install {' '.join(packages)} (apt-get install -y ...)")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *packages], check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def ensure(peers: bool = True) -> None:
    """Install wrk (Debian) and, for the peers, json-server and Prism (npm) if missing."""
    missing = [p for p in ("wrk", "taskset") if shutil.which(p) is None]
    if missing:
        _apt(*("util-linux" if p == "taskset" else p for p in missing))
    if not peers:
        return
    if shutil.which("npm") is None:
        _apt("nodejs", "npm")
    if not ((NODE_BIN / "json-server").exists() and (NODE_BIN / "prism").exists()):
        subprocess.run(
            ["npm", "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund",
             "--loglevel=error", *NODE_PACKAGES],
            check=True,
        )

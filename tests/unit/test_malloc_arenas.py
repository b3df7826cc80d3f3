"""API processes cap glibc's malloc arenas (leadhub.processes.limit_malloc_arenas)."""

from __future__ import annotations

import platform
import sys

import pytest
from click.testing import CliRunner

from leadhub import processes

glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="the arenas are glibc's",
)


@glibc
def test_the_cap_is_set_unless_the_environment_sets_it(monkeypatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert processes.limit_malloc_arenas() is True
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert processes.limit_malloc_arenas() is False


def test_serve_and_each_api_process_cap_them(monkeypatch, tmp_path) -> None:
    import uvicorn

    from leadhub.cli import main

    capped: list[int] = []
    monkeypatch.setattr(processes, "limit_malloc_arenas",
                        lambda arenas=processes.API_ARENAS: capped.append(arenas) or True)
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    url = f"sqlite:///{tmp_path / 'arenas.db'}"
    result = CliRunner().invoke(main, ["serve", "--database-url", url, "--no-worker"])
    assert result.exit_code == 0, result.output
    assert served and capped == [processes.API_ARENAS]
    monkeypatch.setenv(processes.DATABASE_URL_ENV, url)
    monkeypatch.setenv(processes.PUBLIC_URL_ENV, "http://127.0.0.1:1")
    monkeypatch.setenv(processes.EMBEDDED_WORKER_ENV, "0")
    processes.app_from_env()
    assert capped == [processes.API_ARENAS] * 2

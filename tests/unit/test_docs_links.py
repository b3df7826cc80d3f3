"""Every relative link and image of the project's documents names a file that exists.

bench/NOTES.md is written into docs/benchmarks.md by the report, so its links are
resolved from docs/, as a reader of that page follows them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [(ROOT / "README.md", ROOT), (ROOT / "bench" / "NOTES.md", DOCS)] + [
    (page, DOCS) for page in sorted(DOCS.glob("*.md"))
]


def targets(text: str) -> list[str]:
    """The href of every link and the src of every image in a Markdown text."""
    found = []
    for token in MarkdownIt().parse(text):
        for child in token.children or ():
            for attr in ("href", "src"):
                value = child.attrGet(attr)
                if isinstance(value, str):
                    found.append(value)
    return found


def local(target: str) -> str | None:
    """The file path a link names, or None for a web address or an anchor of the page."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return unquote(parts.path)


def test_targets_reads_links_and_images() -> None:
    text = "[a](b.md#x) ![p](c.png) <https://example.com> [here](#top) `[no](d.md)`"
    assert targets(text) == ["b.md#x", "c.png", "https://example.com", "#top"]
    assert [local(t) for t in targets(text)] == ["b.md", "c.png", None, None]


def missing(page: Path, base: Path) -> list[str]:
    """The relative links of ``page`` that name no file, resolved from ``base``."""
    return [
        target for target in targets(page.read_text(encoding="utf-8"))
        if (path := local(target)) is not None and not (base / path).exists()
    ]


def test_missing_finds_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("x")
    page = tmp_path / "page.md"
    page.write_text("[ok](there.md) [gone](gone.md#part) [web](https://example.com/x.md)")
    assert missing(page, tmp_path) == ["gone.md#part"]


@pytest.mark.parametrize(("page", "base"), PAGES, ids=lambda p: getattr(p, "name", ""))
def test_relative_links_name_existing_files(page: Path, base: Path) -> None:
    assert missing(page, base) == [], f"{page.relative_to(ROOT)} links to files that do not exist"

"""Every relative link of the project's Markdown (README.md, docs/, benchmarks/) resolves.

A link to a file must name a file of the repository; a link with an anchor
(`FILE.md#section` or `#section`) must name a heading of that file, spelt as
the code host spells heading anchors. The documents never point outside the
repository, so a link with a scheme (`http:`, `https:`, `mailto:`) is an error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted(
    [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "benchmarks").glob("*.md")]
)

FENCE = re.compile(r"^(```|~~~)")
INLINE_CODE = re.compile(r"`[^`]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text: str) -> list[str]:
    """Return the lines of a Markdown text outside fenced code blocks."""
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def links(text: str) -> list[str]:
    """Return the targets of the inline links in prose (not in code)."""
    return [
        target for line in prose_lines(text) for target in LINK.findall(INLINE_CODE.sub("", line))
    ]


def slug(heading: str) -> str:
    """Return a heading's anchor: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Return every heading anchor of a Markdown text, repeated headings numbered."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    for line in prose_lines(text):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def test_slug_matches_the_hosts_anchors() -> None:
    """Headings with code, punctuation and repeats get the anchors the code host gives them."""
    assert slug("`diff` and `history`") == "diff-and-history"
    assert slug("5. Timestamps") == "5-timestamps"
    assert slug("`-n auto` by the target's pace") == "-n-auto-by-the-targets-pace"
    assert anchors("# A\n## B\n## B\n```\n# not a heading\n```\n") == {"a", "b", "b-1"}


def test_links_skip_code() -> None:
    """A link inside inline code or a fenced block is text, not a link."""
    text = "see [x](a.md) and `[y](b.md)`\n```\n[z](c.md)\n```\n"
    assert links(text) == ["a.md"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(document: Path) -> None:
    """Every link of the document names an existing file of the repository and heading."""
    broken: list[str] = []
    for target in links(document.read_text("utf-8")):
        if SCHEME.match(target):
            broken.append(f"{target}: points outside the repository")
            continue
        path_part, _, anchor = target.partition("#")
        path = (document.parent / path_part).resolve() if path_part else document
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif not path.is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
        elif anchor and (path.suffix != ".md" or anchor not in anchors(path.read_text("utf-8"))):
            broken.append(f"{target}: no heading #{anchor} in {path.relative_to(ROOT)}")
    assert broken == []


def test_documents_are_found() -> None:
    """The check covers the README and the docs folder (an empty list would pass vacuously)."""
    names = {str(p.relative_to(ROOT)) for p in DOCUMENTS}
    assert {"README.md", "docs/PROTOCOL.md", "docs/POLICY.md"} <= names


def test_every_benchmark_has_its_command_in_performance_md() -> None:
    """docs/PERFORMANCE.md says how to run every script of benchmarks/."""
    text = (ROOT / "docs" / "PERFORMANCE.md").read_text("utf-8")
    scripts = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py"))
    assert "bench_run.py" in scripts
    assert [name for name in scripts if f"benchmarks/{name}" not in text] == []

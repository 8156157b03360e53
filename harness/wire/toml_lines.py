"""Where a key is written in a TOML text: the line an error about it points at."""

from __future__ import annotations

import re

__all__ = ["line_of", "split_key"]


def split_key(dotted: str) -> list[str]:
    """The parts of a dotted key."""
    # Keys such as `fields."data.step"` keep their quoted dots.
    return [p.strip('"') for p in re.findall(r'"[^"]*"|[^.]+', dotted)]


def line_of(text: str, dotted: str) -> int | None:
    """The line where `dotted` (a table path then a key) is written, or None.

    Follows `[table]` headers and finds `key =` under the right one, or `key = ...`
    inside an inline table on such a line; good enough to point a user at the line.
    """
    parts = split_key(dotted)
    table: list[str] = []
    fallback = None
    # A key of the n-th `[[name]]` table is written `name[n-1].key` (counted from 0).
    indexed = re.match(r"^[^.\[]+\[\d+\]", dotted) is not None
    arrays: dict[str, int] = {}  # `[[name]]` headers seen: the next is name[count]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?$", line)
        if header:
            table = split_key(header.group(1))
            if indexed and line.startswith("[["):
                index = arrays.get(header.group(1), 0)
                arrays[header.group(1)] = index + 1
                table[-1] += f"[{index}]"
            if table == parts:
                return number
            continue
        for depth in range(len(parts) - 1, -1, -1):
            if table != parts[:depth]:
                continue
            rest = parts[depth:]
            key = rest[0]
            pattern = rf'^(?:"{re.escape(key)}"|{re.escape(key)})\s*='
            if re.match(pattern, line):
                if len(rest) == 1:
                    return number
                inner = rest[-1]
                if re.search(rf'(?:"{re.escape(inner)}"|\b{re.escape(inner)})\s*=', line):
                    return number
                fallback = fallback or number
    return fallback

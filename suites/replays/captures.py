"""Which captures the suite replays: the built-in ones and those the run names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import pytest

BUILT_IN: Final = Path(__file__).parent / "captures"
# What every replay verifies; a capture's header may name protocol rules besides.
REPLAY_RULES: Final = (
    "8.replay.frame-types",
    "8.replay.fields",
    "8.replay.close-codes",
    "8.replay.volatile-consistent",
)


def capture_paths(config: pytest.Config) -> list[Path]:
    """Built-in captures (unless --harness-replay-only), then the files and folders of
    --harness-replay-capture."""
    found: list[Path] = []
    if not config.getoption("harness_replay_only", False):
        found += sorted(BUILT_IN.glob("*.jsonl"))
    for given in config.getoption("harness_replay_capture", []) or []:
        path = Path(given)
        found += sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return list(dict.fromkeys(p.resolve() for p in found))


def _header(path: Path) -> dict[str, object]:
    try:
        with path.open(encoding="utf-8") as fh:
            header = json.loads(fh.readline())
    except (OSError, ValueError):
        return {}
    return header if isinstance(header, dict) else {}


def header_rules(path: Path) -> tuple[str, ...]:
    """The rules a capture's header names (none when the header cannot be read: the test
    then fails to load it and says why)."""
    rules = _header(path).get("rules", [])
    return tuple(r for r in rules if isinstance(r, str)) if isinstance(rules, list) else ()


def header_profile(path: Path) -> str:
    """The dialect a capture was recorded in (chat-agent/1 when the header does not say)."""
    profile = _header(path).get("profile")
    return profile if isinstance(profile, str) else "chat-agent/1"

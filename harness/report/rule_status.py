"""Views of rule status for the reports: rule tables, business events, timestamps, replays.

Each is a pure function of the verdict.json dict (its ``rules``, ``rule_sections`` and
``not_applicable``); docs/VERDICT_JSON.md ("Views of rule status") states the mappings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from harness.names import REPLAY_SUITE, STAGING_SUITE
from harness.verdict.statistics import percentile
from harness.wire import protocol as P

Verdict = Mapping[str, Any]

# Worst first: the order rows and counts are shown in.
STATUSES = ("violated", "not_verified", "not_applicable", "verified")
EVENTS_SECTION = 4
TIMESTAMP_PREFIX = "5."
REPLAY_RULE = "8.replay.frame-types"


def recorded(verdict: Verdict) -> bool:
    """Whether the verdict carries rule status (verdict.json written before it had none)."""
    return "rules" in verdict


def rule_sections(verdict: Verdict, anchors: Mapping[str, str]) -> list[dict[str, Any]]:
    """The rules grouped by section, in section order, each with counts and its open rules.

    ``anchors`` maps the ids of the verdict's tests to their HTML anchors; a rule's
    test that is not among them (left out of the plan) is shown without a link.
    """
    titles = verdict.get("rule_sections") or {}
    groups: dict[int, list[dict[str, Any]]] = {}
    for rule in verdict.get("rules") or []:
        links = [{"id": tid, "anchor": anchors.get(tid)} for tid in rule.get("tests") or []]
        groups.setdefault(int(rule["section"]), []).append({**rule, "links": links})
    sections = []
    for number in sorted(groups):
        rules = groups[number]
        counts = {status: sum(1 for r in rules if r["status"] == status) for status in STATUSES}
        # A rule no planned test names (its suite was not selected) says nothing about the
        # target: listed apart, collapsed, so that a partial run's report stays readable.
        untested = [r for r in rules if r["status"] == "not_verified" and not r.get("tests")]
        sections.append(
            {
                "number": number,
                "title": titles.get(str(number), f"Section {number}"),
                "rules": rules,
                "open": sorted(
                    (r for r in rules if r["status"] != "verified" and r not in untested),
                    key=lambda r: STATUSES.index(r["status"]) if r["status"] in STATUSES else 0,
                ),
                "untested": untested,
                "verified": [r for r in rules if r["status"] == "verified"],
                "counts": counts,
                "worst": next((s for s in STATUSES if counts[s]), "verified"),
            }
        )
    return sections


def group_status(statuses: list[str]) -> str:
    """The status of a group of rules: violated, verified, not applicable, not verified, none."""
    if not statuses:
        return "none"
    if "violated" in statuses:
        return "violated"
    if all(s == "verified" for s in statuses):
        return "verified"
    if all(s == "not_applicable" for s in statuses):
        return "not_applicable"
    return "not_verified"


def mentions(rule: Mapping[str, Any], event: str) -> bool:
    """Whether a rule names ``event``: in its id (dashed, one dotted part) or its text (a word)."""
    if event.replace("_", "-") in str(rule["id"]).split("."):
        return True
    word = rf"(?<![A-Za-z0-9_]){re.escape(event)}(?![A-Za-z0-9_])"
    return re.search(word, str(rule["text"])) is not None


def business_events(verdict: Verdict) -> list[dict[str, Any]]:
    """The five business events, each with the section 4 rules that name it and their status."""
    rules = [r for r in verdict.get("rules") or [] if r.get("section") == EVENTS_SECTION]
    rows = []
    for event in P.BUSINESS_EVENTS:
        named = [r for r in rules if mentions(r, event)]
        rows.append(
            {"name": event, "rules": named, "status": group_status([r["status"] for r in named])}
        )
    return rows


TURN_PREFIX = "4.turn."
TURN_METRICS = (
    "turn_first_frame_ms",
    "turn_first_text_ms",
    "turn_terminal_ms",
    "turn_largest_gap_ms",
)


TURN_KIND_LATENCIES = (("first text ms", "first_text"), ("terminal ms", "terminal"))
BY_KIND = "by kind"


def turn_kinds(observed: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Each kind of turn the turn test asked for, as it recorded it: its terminals, text
    streams and tool calls, and the count, p50, p95 and max (nearest rank) of its times to
    the first text and to the terminal (None where it has no sample)."""
    rows = observed.get(BY_KIND) if observed else None
    if not isinstance(rows, list):
        return []
    kinds = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        kind = {k: v for k, v in row.items() if not k.endswith(" ms")}
        for key, name in TURN_KIND_LATENCIES:
            samples = [float(x) for x in row.get(key) or [] if isinstance(x, (int, float))]
            kind[name] = (
                {
                    "count": len(samples),
                    "p50": percentile(samples, 50),
                    "p95": percentile(samples, 95),
                    "max": max(samples),
                }
                if samples
                else None
            )
        kinds.append(kind)
    return kinds


def turns_view(verdict: Verdict) -> dict[str, Any]:
    """The turn (docs/TURNS.md) as the reports show it: the status of each 4.turn rule,
    the terminals and parts the turns showed (what the turn test recorded), the same per
    kind of turn with its latencies, and each turn latency's samples, p50, p95 and max.
    Empty when the run judged no turn rule."""
    rules = [r for r in verdict.get("rules") or [] if str(r.get("id")).startswith(TURN_PREFIX)]
    if not rules:
        return {}
    observed = next(
        (
            entry.get("observed")
            for rule in rules
            for entry in rule.get("evidence") or []
            if isinstance(entry.get("observed"), dict)
        ),
        None,
    )
    metrics = verdict.get("metrics") or {}
    latencies = [
        {
            "name": name,
            "count": metrics[name].get("count"),
            "p50": metrics[name].get("p50"),
            "p95": metrics[name].get("p95"),
            "max": metrics[name].get("max"),
        }
        for name in TURN_METRICS
        if name in metrics
    ]
    return {
        "rules": rules,
        "observed": {k: v for k, v in observed.items() if k != BY_KIND} if observed else None,
        "kinds": turn_kinds(observed),
        "latencies": latencies,
    }


def shown(value: Any) -> str:
    """A recorded value as the reports show it: a string as written (suites record display
    text, such as the JSON of the timestamp sent), anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def timestamp_rows(verdict: Verdict) -> list[dict[str, Any]]:
    """Each value a section 5 rule's tests, or a staging_repro test, sent, expected and observed.

    Rows that would read the same (one value checked in several frame types) are shown once.
    """
    staging = {t["id"] for s in verdict["suites"] if s["name"] == STAGING_SUITE for t in s["tests"]}
    rows: dict[tuple[str, ...], dict[str, str]] = {}
    for rule in verdict.get("rules") or []:
        for entry in rule.get("evidence") or []:
            if str(rule["id"]).startswith(TIMESTAMP_PREFIX) or entry.get("test") in staging:
                row = {
                    "rule": str(rule["id"]),
                    "sent": shown(entry.get("sent")),
                    "expected": shown(entry.get("expected")),
                    "observed": shown(entry.get("observed")),
                    "status": str(rule["status"]),
                }
                rows.setdefault(tuple(row.values()), row)
    return list(rows.values())


def replay_rows(verdict: Verdict) -> list[dict[str, Any]]:
    """Each replayed capture: its test, outcome and, when it diverged, the first diverging
    frame as recorded and as replayed (the evidence the replay test keeps)."""
    evidence = {
        entry.get("test"): entry
        for rule in verdict.get("rules") or []
        if rule["id"] == REPLAY_RULE
        for entry in rule.get("evidence") or []
    }
    rows = []
    for suite in verdict["suites"]:
        if suite["name"] != REPLAY_SUITE:
            continue
        for test in suite["tests"]:
            entry = evidence.get(test["id"]) or {}
            param = re.search(r"\[(.*)\]$", test["id"])
            diverged = test["outcome"] in ("failed", "error")
            rows.append(
                {
                    "test": test,
                    "capture": shown(
                        entry.get("sent") or (param.group(1) if param else test["id"])
                    ),
                    "outcome": test["outcome"],
                    # The message's first part names connection, frame and field.
                    "divergence": test.get("message", "").split(": expected ", 1)[0]
                    if diverged
                    else "",
                    "recorded": shown(entry["expected"]) if diverged and entry else "",
                    "replayed": shown(entry["observed"]) if diverged and entry else "",
                }
            )
    return rows

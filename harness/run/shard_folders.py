"""The output folders of `run --shard I/N`: reading them, and whether they form one run.

Whatever keeps the folders from being one run is a run error of cause `shard`
(the merged verdict is INCOMPLETE): a shard missing or given twice, shards of
different counts, shards that planned different tests or split them another
way, another target or policy.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.history.store import VERDICT_FILE
from harness.run.results import RESULTS_FILE, ResultsLog, read_results
from harness.run.shard import ShardPlan
from harness.verdict.baseline import SCHEMA
from harness.verdict.records import RunError

SHARD = "shard"  # the cause of every run error about the shards


@dataclass
class ShardOutput:
    """One shard's folder as the merge reads it."""

    folder: Path
    document: dict[str, Any]  # its verdict.json
    log: ResultsLog
    plans: list[ShardPlan] = field(default_factory=list)

    @property
    def index(self) -> int:
        """Return the shard's index I."""
        return int(self.document["shard"]["index"])

    @property
    def count(self) -> int:
        """Return the shard's count N."""
        return int(self.document["shard"]["count"])

    @property
    def label(self) -> str:
        """Return `shard I/N (folder)`."""
        return f"shard {self.index}/{self.count} ({self.folder})"


def read_shard(folder: Path) -> ShardOutput:
    """Return a shard's output; ConfigError (one line, naming the folder) when it is none."""
    path = folder / VERDICT_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"merge: {folder}: no {VERDICT_FILE} (not a run's --out folder)"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"merge: {path}: cannot read: {exc}") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ConfigError(f"merge: {path}: not a verdict.json of {SCHEMA}")
    shard = document.get("shard")
    if not isinstance(shard, dict) or not {"index", "count"} <= shard.keys():
        raise ConfigError(f"merge: {path}: not a shard's verdict (its run had no --shard I/N)")
    output = ShardOutput(folder, document, read_results(folder / RESULTS_FILE))
    try:
        output.plans = ShardPlan.read_all(folder)
    except ValueError as exc:
        output.log.run_errors.append(RunError(SHARD, f"cannot read the shard plan: {exc}"))
    return output


def consistency(shards: Sequence[ShardOutput]) -> tuple[list[ShardOutput], list[RunError]]:
    """Return the shards to merge (one per index) and what keeps them from being one run."""
    errors: list[RunError] = []
    counts = Counter(s.count for s in shards)
    if len(counts) > 1:
        seen = ", ".join(s.label for s in shards)
        errors.append(RunError(SHARD, f"the shards are of different counts N: {seen}"))
    count = counts.most_common(1)[0][0] if counts else 0
    kept: dict[int, ShardOutput] = {}
    for shard in sorted(shards, key=lambda s: (s.index, str(s.folder))):
        if shard.index in kept:
            first = kept[shard.index]
            errors.append(
                RunError(
                    SHARD,
                    f"shard {shard.index}/{count} appears twice ({first.folder}, {shard.folder}): "
                    f"only {first.folder} is merged",
                )
            )
            continue
        kept[shard.index] = shard
    for index in range(1, count + 1):
        if index not in kept:
            errors.append(
                RunError(SHARD, f"shard {index}/{count} is missing: its tests did not run")
            )
    merged = list(kept.values())
    errors += _differ(merged, "plan_hash", "the shards planned different test sets")
    errors += _differ(
        merged,
        "split_digest",
        "the shards split the plan differently (other durations): "
        "give every shard the same --shard-durations FILE",
    )
    errors += _targets(merged) + _policies(merged)
    return merged, errors


def _differ(shards: Sequence[ShardOutput], key: str, what: str) -> list[RunError]:
    groups: dict[str, list[str]] = {}
    for shard in shards:
        groups.setdefault(str(shard.document["shard"].get(key)), []).append(str(shard.index))
    if len(groups) < 2:
        return []
    parts = "; ".join(f"{value} in shard {', '.join(ids)}" for value, ids in groups.items())
    return [RunError(SHARD, f"{what}: {key} {parts}")]


def _targets(shards: Sequence[ShardOutput]) -> list[RunError]:
    # An embedded target listens on another port on every machine: its kind and defects count.
    def seen(shard: ShardOutput) -> str:
        target = shard.document.get("target", {})
        where = "" if target.get("kind") == "embedded" else f" {target.get('url')}"
        return f"{target.get('kind')}{where} defects {target.get('defects')}"

    kinds = {seen(s) for s in shards}
    if len(kinds) < 2:
        return []
    listed = "; ".join(f"shard {s.index}: {seen(s)}" for s in shards)
    return [RunError(SHARD, f"the shards verified different targets: {listed}")]


def _policies(shards: Sequence[ShardOutput]) -> list[RunError]:
    groups: dict[str, list[str]] = {}
    for shard in shards:
        policy = str((shard.document.get("identity") or {}).get("policy", "unknown"))
        groups.setdefault(policy, []).append(str(shard.index))
    if len(groups) < 2:
        return []
    parts = "; ".join(f"{value} in shard {', '.join(ids)}" for value, ids in groups.items())
    return [RunError(SHARD, f"the shards ran with different policies: policy {parts}")]

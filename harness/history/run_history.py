"""What a run takes from the history (its baseline, trend, unstable tests) and gives back.

A shard's run (`run --shard I/N`) judges a slice: it has a manifest of its own
(`shard I/N <hash of its slice>`), no baseline, trend or unstable tests, and it is
not recorded. Were it recorded, the next shard on the same machine would read other
durations and split the plan another way than this one did. The merge of the shards
is the run that is recorded (every test's duration with it) and compared: its full
plan has the manifest of an unsharded run of the same suites.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.history.store import (
    DEFAULT_PATH,
    History,
    HistoryError,
    Identity,
    digest,
    entry_of,
    trend_point,
)
from harness.verdict.baseline import refusal
from harness.verdict.policy import Policy
from harness.verdict.records import Baseline, RunRecord

AUTO = "auto"
TREND_RUNS = 20
UNSTABLE_RUNS = 10
SHARD_MANIFEST = "shard "  # how a shard run's manifest starts (a real one is a bare hash)
SHARD_BASELINE = "a shard judges a slice of the plan: give the baseline to `merge`"


def manifest_hash(planned: Mapping[str, Sequence[str]]) -> str:
    """Return the suite manifest hash: the sorted planned test ids of every suite."""
    return digest({suite: sorted(ids) for suite, ids in sorted(planned.items()) if ids})


def policy_hashes(policy: Policy) -> tuple[str, str]:
    """Return the hash of the whole policy (wherever its file lies) and of its budgets."""
    whole = repr(dataclasses.replace(policy, source=""))
    return digest(whole), digest(repr(policy.budgets))


def identity_of(record: RunRecord, target: str, policy: Policy) -> Identity:
    """Return the identity of a run: target, profile, suite manifest, policy and budgets."""
    left_out = {n.id for n in record.not_applicable}
    planned = {s.name: [i for i in s.planned if i not in left_out] for s in record.suites}
    profile = record.environment.get("profile", {}).get("name", "")
    whole, budgets = policy_hashes(policy)
    manifest = manifest_hash(planned)
    shard = record.environment.get("shards") or {}
    if "index" in shard:  # a shard's own run, not a merge (which says no index)
        manifest = f"{SHARD_MANIFEST}{shard['index']}/{shard['of']} {manifest}"
    return Identity(target, str(profile), manifest, whole, budgets)


def is_shard(manifest: str) -> bool:
    """Return whether a run of this manifest was one shard's slice."""
    return manifest.startswith(SHARD_MANIFEST)


def add_arguments(parser: argparse.ArgumentParser, subject: str) -> None:
    """The options `run` and `merge` share: --baseline FILE|auto, --history PATH, --no-history."""
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE|auto",
        help="verdict.json of an earlier run to compare with, or auto: the history's last "
        "APPROVED run of the same target, profile and planned tests",
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=DEFAULT_PATH,
        metavar="PATH",
        help=f"the run history {subject} is added to (default: {DEFAULT_PATH})",
    )
    parser.add_argument(
        "--no-history", action="store_true", help="neither read nor write a history"
    )


def warn(message: str) -> None:
    """Print one line about the history on stderr (the run goes on without it)."""
    print(f"stability-harness: {message}", file=sys.stderr)


@dataclass
class RunHistory:
    """The history as one run uses it; ``history`` is None without one or when unreadable."""

    history: History | None
    path: Path | None
    target: str
    policy: Policy
    auto: bool
    identity: Identity | None = None

    @classmethod
    def open(cls, path: Path | None, target: str, policy: Policy, *, auto: bool) -> RunHistory:
        """Open the history at ``path`` (None: no history); a bad file is one stderr line."""
        history = None
        if path is not None:
            try:
                history = History(path)
            except HistoryError as exc:
                warn(str(exc))
        return cls(history, path, target, policy, auto)

    def close(self) -> None:
        """Close the history file."""
        if self.history is not None:
            self.history.close()

    def with_baseline(self, record: RunRecord) -> RunRecord:
        """Return ``record`` with its baseline: the history's for `auto`, refused when not
        comparable (the reason is the verdict's), or the given one checked."""
        self.identity = identity_of(record, self.target, self.policy)
        now = self.identity.to_json()
        if is_shard(self.identity.manifest) and (self.auto or record.baseline is not None):
            asked = record.baseline or Baseline(source=f"--baseline auto ({self.path})")
            return dataclasses.replace(
                record, baseline=dataclasses.replace(asked, refused=SHARD_BASELINE)
            )
        if not self.auto:
            given = record.baseline
            if given is None:
                return record
            reason = refusal(now, given.identity)
            if reason is None:
                return record
            return dataclasses.replace(record, baseline=dataclasses.replace(given, refused=reason))
        return dataclasses.replace(record, baseline=self._auto(now))

    def _auto(self, now: Mapping[str, str]) -> Baseline | None:
        if self.history is None:
            why = "no history (--no-history)" if self.path is None else "the history is unreadable"
            return Baseline(source=f"--baseline auto ({self.path})", refused=why)
        ident = self.identity
        assert ident is not None
        found = self.history.last_approved(ident.target, ident.profile, ident.manifest)
        if found is None:
            approved = self.history.runs(
                target=ident.target, profile=ident.profile, verdict="APPROVED", limit=1
            )
            if not approved:
                return None  # no approved run of this target and profile: "no baseline"
            reason = refusal(now, approved[0].identity()) or "another suite manifest"
            return Baseline(source=f"history run {approved[0].run_id}", refused=reason)
        baseline = self.history.baseline(found)
        refused = refusal(now, found.identity())
        return dataclasses.replace(baseline, identity=found.identity(), refused=refused)

    def annotate(self, document: dict[str, Any]) -> None:
        """Add the run's identity, the trend of comparable runs and the unstable tests
        (neither without a readable history: it is their evidence)."""
        if self.identity is None:
            return
        document["identity"] = self.identity.to_json()
        if self.history is None or is_shard(self.identity.manifest):
            return
        ident = self.identity
        try:
            earlier = self.history.runs(
                target=ident.target,
                profile=ident.profile,
                manifest=ident.manifest,
                limit=TREND_RUNS - 1,
            )
            failures = self.history.failures(earlier[: UNSTABLE_RUNS - 1])
        except HistoryError as exc:
            warn(str(exc))
            return
        now = trend_point(document)
        document["trend"] = [*(r.summary for r in reversed(earlier) if r.summary), now]
        failed_now = {
            t["id"]
            for s in document.get("suites", [])
            for t in s["tests"]
            if t["outcome"] == "failed"
        }
        for test_id in failed_now:
            failures[test_id] = failures.get(test_id, 0) + 1
        document["unstable"] = {
            "runs": min(len(earlier), UNSTABLE_RUNS - 1) + 1,
            "tests": dict(sorted(failures.items())),
        }

    def keep(self, document: Mapping[str, Any]) -> None:
        """Store the finished run (not a shard's); a failure is one stderr line, never the
        run's end."""
        if self.history is None or self.identity is None or is_shard(self.identity.manifest):
            return
        try:
            self.history.record(entry_of(document, self.identity))
        except HistoryError as exc:
            warn(str(exc))

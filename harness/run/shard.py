"""Shards: `run --shard I/N` runs a deterministic slice of the planned tests.

The split is a pure function of a phase's full plan (the sorted stable test
ids) and a table of test durations (whole milliseconds): the longest test
goes to the least loaded shard first (ties: the lower index, then the test
id), so every machine given the same plan and the same table cuts the same
slices, every test lands in exactly one of them, and with no durations the
slices differ in size by one test at most. Tests marked `every_shard` are not
split: they run in every shard on that shard's share of their work
(`Shard.portion`), which is how a load test spreads its users.

Each phase's plugin writes `shard-phase{N}.json` beside results.jsonl: the
full plan, the slice, and the digests `merge` compares, so shards that
planned other tests or split them another way are caught, not merged.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from harness.errors import ConfigError
from harness.history.store import History, HistoryError, digest
from harness.verdict.policy import Policy
from harness.verdict.records import RunRecord

SHARD_OPTION = "--harness-shard"
DURATIONS_OPTION = "--harness-shard-durations"
EVERY_SHARD = "every_shard"
if TYPE_CHECKING:
    import pytest

# pytest's own hook marker (pytest.hookimpl is this object): the runner imports this
# module to split a plan and would otherwise import pytest for the marker (about 0.06 s).
hookimpl = pluggy.HookimplMarker("pytest")
ALGORITHM = "lpt-ms/1"  # in the split digest: a change of algorithm is a change of split
SHARD_FILE = "shard-phase{phase}.json"
DURATIONS_FILE = "shard-durations.json"
HISTORY_RUNS = 20  # how many recent runs of the history name the tests whose durations count


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Return the shard of an `I/N` value; ConfigError unless 1 <= I <= N."""
        index, slash, count = text.strip().partition("/")
        try:
            shard = cls(int(index), int(count))
        except ValueError:
            shard = None
        if not slash or shard is None or not 1 <= shard.index <= shard.count:
            raise ConfigError(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. 2/4")
        return shard

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def portion(self, total: int) -> range:
        """Return this shard's share of `total` units of work (users, runs): a contiguous
        range of 0..total-1; the shares of all shards cover it once, sizes within one."""
        base, extra = divmod(total, self.count)
        start = (self.index - 1) * base + min(self.index - 1, extra)
        return range(start, start + base + (1 if self.index <= extra else 0))


def shard_of(config: pytest.Config) -> Shard | None:
    """Return the shard a pytest session runs (`--harness-shard I/N`), or None: the whole plan."""
    value = config.getoption("harness_shard", None)
    return Shard.parse(value) if value else None


def weights(plan: Sequence[str], durations: Mapping[str, float]) -> dict[str, int]:
    """Return each planned test's weight in whole milliseconds (at least 1); a test without a
    recorded duration weighs the median of those with one, or 1 when none has one."""
    known = {t: max(1, round(float(durations[t]) * 1000)) for t in plan if t in durations}
    default = int(statistics.median_low(known.values())) if known else 1
    return {t: known.get(t, default) for t in plan}


def split(plan: Sequence[str], durations: Mapping[str, float], count: int) -> list[list[str]]:
    """Return the `count` slices of `plan` (each sorted): every test in exactly one slice,
    balanced by `durations` (seconds per test id) when given, otherwise by count."""
    weight = weights(sorted(set(plan)), durations)
    loads = [0] * count
    slices: list[list[str]] = [[] for _ in range(count)]
    for test in sorted(weight, key=lambda t: (-weight[t], t)):
        k = min(range(count), key=lambda i: (loads[i], i))
        slices[k].append(test)
        loads[k] += weight[test]
    return [sorted(s) for s in slices]


def split_digest(plan: Sequence[str], durations: Mapping[str, float]) -> str:
    """Return the digest of what the split depends on besides N: the plan and its weights."""
    return digest({"algorithm": ALGORITHM, "weights": weights(sorted(set(plan)), durations)})


def load_durations(path: Path) -> dict[str, float]:
    """Return the durations in `path`: a JSON object {test id: seconds}, or a verdict.json
    (each test's duration_s); ConfigError naming the file when it is neither."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"--shard-durations {path}: cannot read: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("suites"), list) and "schema" in data:
        try:
            data = {
                str(t["id"]): t.get("duration_s") or 0.0 for s in data["suites"] for t in s["tests"]
            }
        except (KeyError, TypeError):
            raise ConfigError(f"--shard-durations {path}: a verdict.json without tests") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--shard-durations {path}: expected a JSON object {{test id: seconds}}")
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(
                f"--shard-durations {path}: {key!r}: expected seconds (a number >= 0)"
            )
    return {str(k): float(v) for k, v in data.items()}


def history_durations(path: Path) -> dict[str, float]:
    """Return the latest recorded duration of every test of the history's recent runs
    ({} when the file does not exist or cannot be read: the split falls back to counts)."""

    if not path.exists():
        return {}
    try:
        with History(path) as history:
            ids: set[str] = set()
            for run in history.runs(limit=HISTORY_RUNS):
                ids.update(history.baseline(run).outcomes)
            return history.durations(ids)
    except HistoryError as exc:
        print(f"stability-harness: {exc}; shards split by count", file=sys.stderr)
        return {}


def write_durations(out: Path, source: str, durations: Mapping[str, float]) -> Path:
    """Write the run's durations table, read by every phase's plugin (one snapshot: every
    xdist worker of every phase splits with the same table)."""
    path = out / DURATIONS_FILE
    document = {"source": source, "durations": dict(sorted(durations.items()))}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return path


def read_durations(path: Path | None) -> tuple[str, dict[str, float]]:
    """Return the source and table of a durations file written by `write_durations`."""
    if path is None:
        return "none", {}
    document = json.loads(path.read_text(encoding="utf-8"))
    return str(document["source"]), {k: float(v) for k, v in document["durations"].items()}


class ShardSelection:
    """A pytest plugin object that deselects the tests outside this shard's slice.

    It runs after every other `pytest_collection_modifyitems` (after `-m` and the
    tests left out for a missing input), so the split sees exactly the phase's plan.
    """

    def __init__(
        self,
        shard: Shard,
        durations: Path | None,
        out: Path | None,
        phase: int,
        ident: Callable[[pytest.Item], tuple[str, str] | None],
    ) -> None:
        self.shard = shard
        self.source, self.durations = read_durations(durations)
        self.out = out
        self.phase = phase
        self._ident = ident

    @hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        names = {item: self._ident(item) for item in items}
        plan = {ident[1]: ident[0] for ident in names.values() if ident is not None}
        every = sorted(
            ident[1]
            for item, ident in names.items()
            if ident is not None and item.get_closest_marker(EVERY_SHARD)
        )
        splittable = sorted(set(plan) - set(every))
        mine = set(split(splittable, self.durations, self.shard.count)[self.shard.index - 1])
        mine.update(every)
        # A test outside every suite (no stable id) is split by its node id.
        loose = [item.nodeid for item, ident in names.items() if ident is None]
        mine.update(split(loose, {}, self.shard.count)[self.shard.index - 1])
        keep = [i for i in items if _key(i, names[i]) in mine]
        if len(keep) != len(items):
            kept = set(keep)
            config.hook.pytest_deselected(items=[i for i in items if i not in kept])
            items[:] = keep
        if self.out is not None:
            ShardPlan(
                phase=self.phase,
                index=self.shard.index,
                count=self.shard.count,
                plan=plan,
                slice=sorted(t for t in plan if t in mine),
                every=every,
                plan_hash=digest(sorted(plan.items())),
                split_digest=split_digest(splittable, self.durations),
                durations=self.source,
            ).write(self.out)


def _key(item: pytest.Item, ident: tuple[str, str] | None) -> str:
    return ident[1] if ident is not None else item.nodeid


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """What one phase of one shard planned: the phase's full plan and this shard's slice."""

    phase: int
    index: int
    count: int
    plan: Mapping[str, str]  # every test id of the phase's full plan -> its suite
    slice: Sequence[str]  # the ids this shard ran (its split share and the every_shard tests)
    every: Sequence[str] = ()
    plan_hash: str = ""
    split_digest: str = ""
    durations: str = "none"  # where the durations came from

    def write(self, out: Path) -> None:
        """Write `shard-phase{N}.json` atomically (every xdist worker writes the same)."""
        path = out / SHARD_FILE.format(phase=self.phase)
        document = {
            "phase": self.phase,
            "index": self.index,
            "count": self.count,
            "plan_hash": self.plan_hash,
            "split_digest": self.split_digest,
            "durations": self.durations,
            "plan": dict(self.plan),
            "slice": list(self.slice),
            "every_shard": list(self.every),
        }
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        temp.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        os.replace(temp, path)

    @classmethod
    def read_all(cls, folder: Path) -> list[ShardPlan]:
        """Return every phase's shard plan in `folder`, by phase; ValueError when one is bad."""
        plans = []
        for path in sorted(folder.glob(SHARD_FILE.format(phase="*"))):
            try:
                d = json.loads(path.read_text(encoding="utf-8"))
                plans.append(
                    cls(
                        int(d["phase"]),
                        int(d["index"]),
                        int(d["count"]),
                        {str(k): str(v) for k, v in d["plan"].items()},
                        tuple(d["slice"]),
                        tuple(d.get("every_shard", ())),
                        str(d["plan_hash"]),
                        str(d["split_digest"]),
                        str(d.get("durations", "none")),
                    )
                )
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ValueError(f"{path.name}: {type(exc).__name__}: {exc}") from None
        return sorted(plans, key=lambda p: p.phase)


@dataclass(frozen=True, slots=True)
class ShardSummary:
    """A shard run over all its phases: what verdict.json's `shard` says."""

    shard: Shard
    plans: Sequence[ShardPlan] = field(default_factory=tuple)

    @property
    def full_plan(self) -> dict[str, str]:
        """Return every test id of every phase's full plan -> its suite."""
        return {t: s for p in self.plans for t, s in p.plan.items()}

    @property
    def slice(self) -> set[str]:
        """Return the test ids this shard ran, over all phases."""
        return {t for p in self.plans for t in p.slice}

    def to_json(self) -> dict[str, Any]:
        """Return verdict.json's `shard`: (I, N), the full plan's hash, the split's digest."""
        return {
            "index": self.shard.index,
            "count": self.shard.count,
            "plan_hash": digest({str(p.phase): p.plan_hash for p in self.plans}),
            "split_digest": digest({str(p.phase): p.split_digest for p in self.plans}),
            "durations": sorted({p.durations for p in self.plans}) or ["none"],
            "planned_total": len(self.full_plan),
            "planned_here": len(self.slice),
            "phases": [
                {"phase": p.phase, "plan_hash": p.plan_hash, "split_digest": p.split_digest}
                for p in self.plans
            ],
        }


def slice_record(record: RunRecord, summary: ShardSummary) -> RunRecord:
    """Return a shard's record of its slice: a suite with planned tests, none of them in
    this slice, is left out (its tests are other shards' to judge, not missing here)."""
    if not summary.plans:  # the run ended before any phase planned: nothing to slice
        return record
    planned = set(summary.full_plan.values())
    here = {summary.full_plan[t] for t in summary.slice}
    suites = tuple(
        s for s in record.suites if s.name in here or s.name not in planned or s.load_error
    )
    kept = {s.name for s in suites}
    return dataclasses.replace(
        record,
        suites=suites,
        tests=tuple(t for t in record.tests if t.suite in kept),
        not_applicable=tuple(n for n in record.not_applicable if n.suite in kept),
        rules_left_out=tuple(n for n in record.rules_left_out if n.suite in kept),
    )


def shard_policy(policy: Policy) -> Policy:
    """Return the policy a shard judges its slice with: no budgets, since a budget is judged
    on every sample of the run, which only `stability-harness merge` has."""
    return dataclasses.replace(policy, budgets=())

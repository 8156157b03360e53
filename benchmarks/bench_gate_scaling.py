"""How the default gate's wall time grows with the number of tests: a suite at 1x, 2x, 4x.

    python benchmarks/bench_gate_scaling.py [--suite timestamp_core] [--factors 1 2 4]
                                            [--repeat 2] [--quick] [--compare TREE]

The suite's package is copied, unchanged, into a temporary site directory as a
third-party suite (`<suite>_x<K>`, registered in the `stability_harness.suites`
entry-point group, as docs/WRITING_SUITES.md describes), with one file added: a
`conftest.py` that parametrises every test of the copy K times more (an autouse
fixture `bench_copy` over range(K)). Nothing in the product reads it. Then, in rounds
(the factors alternated, `--repeat` rounds), one whole `stability-harness run --suite
<suite>_x<K> --quiet --no-history` per factor (the embedded target, default workers),
plus the built-in suite itself for reference. Prints per factor the planned tests,
the median wall seconds, seconds per test, the CPU seconds of the run's processes
(the runner, pytest and its workers, the embedded target) and the verdicts. Not a
test: nothing is asserted.

`--compare TREE` measures a second source tree in the same rounds (each run of this
tree followed by the same run of that one): TREE is an exported copy of another
commit (`git archive <commit> | tar -x -C TREE`), run with TREE first on PYTHONPATH
and as the working directory, so that its `harness` is imported and not this
checkout's editable install. Use it for a before/after of one change under the same
load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import suites

CONFTEST = '''"""Every test of this copy, {copies} times (benchmarks/bench_gate_scaling.py)."""

import pytest

COPIES = {copies}


def pytest_generate_tests(metafunc):
    if "bench_copy" in metafunc.fixturenames:
        metafunc.parametrize("bench_copy", range(COPIES), ids=lambda i: f"copy{{i}}")


@pytest.fixture(autouse=True)
def bench_copy():
    """Overridden by the parametrisation above."""
    return 0
'''


RENAME = """

import dataclasses as _bench_dataclasses

MANIFEST = _bench_dataclasses.replace(MANIFEST, name="{name}")  # bench_gate_scaling.py
"""

RUN = (sys.executable, "-m", "harness", "run")


@dataclass
class Row:
    """The runs of one suite (one factor)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    verdicts: set[str] = field(default_factory=set)
    planned: int = 0


def install_copy(site: Path, suite: str, copies: int) -> str:
    """Copy suite `suite` into `site` as the third-party suite `<suite>_x<copies>`; its name."""
    name = f"{suite}_x{copies}"
    source = Path(suites.__file__).parent / suite
    package = site / "bench_scaling" / name
    shutil.copytree(source, package, ignore=shutil.ignore_patterns("__pycache__"))
    (site / "bench_scaling" / "__init__.py").write_text("")
    init = package / "__init__.py"
    # The manifest renamed after the fact: the suite's own text stays as it is.
    init.write_text(init.read_text() + RENAME.format(name=name))
    (package / "conftest.py").write_text(CONFTEST.format(copies=copies))
    dist = site / f"bench_scaling_{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: bench-scaling-{name.replace('_', '-')}\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        f"[stability_harness.suites]\n{name} = bench_scaling.{name}\n"
    )
    return name


def gate(
    suite: str, out: Path, env: dict[str, str], cwd: Path | None = None
) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (every process), planned tests and verdict of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        [*RUN, "--suite", suite, "--quiet", "--no-history", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    planned = 0
    verdict_file = out / "verdict.json"
    if verdict_file.exists():
        verdict = json.loads(verdict_file.read_text())
        planned = sum(int(s.get("planned", 0)) for s in verdict.get("suites", []))
    line = proc.stdout.strip().split(":")[0] or f"exit {proc.returncode}: {proc.stderr[-200:]}"
    return wall, cpu, planned, line


@dataclass
class Tree:
    """One source tree under measurement: this checkout, or an exported copy (--compare)."""

    label: str
    env: dict[str, str]
    cwd: Path | None
    rows: dict[str, Row] = field(default_factory=dict)


def tree(label: str, site: Path, source: Path | None) -> Tree:
    """The tree `source` (None: this checkout) with the copies' site first on its path."""
    env = dict(os.environ)
    paths = [str(site), *([str(source)] if source else []), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return Tree(label, env, source)


def report(measured: Tree, names: dict[str, str], factors: list[int]) -> None:
    """The table and the straight line (each added test, the fixed part) of one tree."""
    print(f"\n{measured.label}:")
    print(
        "| suite | tests | median wall s | min | max | s per test | CPU s | CPU s per test "
        "| verdicts |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for label, suite in names.items():
        row = measured.rows[label]
        wall, cpu = statistics.median(row.wall), statistics.median(row.cpu)
        per = row.planned or 1
        verdicts = ", ".join(sorted(row.verdicts))
        print(
            f"| {suite} | {row.planned} | {wall:.1f} | {min(row.wall):.1f} | {max(row.wall):.1f} "
            f"| {wall / per:.3f} | {cpu:.1f} | {cpu / per:.3f} | {verdicts} |"
        )
    low, high = measured.rows[f"x{min(factors)}"], measured.rows[f"x{max(factors)}"]
    if high.planned > low.planned:
        # A straight line through the smallest and the largest copy: what each added test
        # costs, and what a run costs whatever its size (start-up, collection, reports).
        added = high.planned - low.planned
        wall_per = (statistics.median(high.wall) - statistics.median(low.wall)) / added
        cpu_per = (statistics.median(high.cpu) - statistics.median(low.cpu)) / added
        fixed = statistics.median(low.wall) - wall_per * low.planned
        fixed_cpu = statistics.median(low.cpu) - cpu_per * low.planned
        print(
            f"each added test: {wall_per * 1e3:.1f} ms wall, {cpu_per * 1e3:.1f} ms CPU; "
            f"fixed part (extrapolated to 0 tests): {fixed:.1f} s wall, {fixed_cpu:.1f} s CPU"
        )
        # On a shared machine other work only ever adds time: the fastest run of each
        # factor is the least disturbed, and its line the steadier one.
        fastest_per = (min(high.wall) - min(low.wall)) / added
        print(
            f"the same line through the fastest runs: {fastest_per * 1e3:.1f} ms wall per "
            f"added test, fixed part {min(low.wall) - fastest_per * low.planned:.1f} s wall"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="timestamp_core")
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeat", type=int, default=2, help="rounds of every factor")
    parser.add_argument("--quick", action="store_true", help="factors 1 and 2, one round")
    parser.add_argument(
        "--compare", type=Path, metavar="TREE", help="an exported source tree to measure too"
    )
    args = parser.parse_args()
    factors, repeat = ([1, 2], 1) if args.quick else (args.factors, args.repeat)
    print(f"nproc {os.cpu_count()}, Python {sys.version.split()[0]}, suite {args.suite}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        site.mkdir()
        names = {args.suite: args.suite} | {
            f"x{k}": install_copy(site, args.suite, k) for k in factors
        }
        trees = [tree("this checkout", site, None)]
        if args.compare is not None:
            trees.append(tree(f"--compare {args.compare}", site, args.compare.resolve()))
        for measured in trees:
            measured.rows = {label: Row() for label in names}
        for i in range(repeat):
            for label, suite in names.items():
                for n, measured in enumerate(trees):
                    out = Path(tmp) / f"out-{n}-{label}-{i}"
                    wall, cpu, planned, verdict = gate(suite, out, measured.env, measured.cwd)
                    row = measured.rows[label]
                    row.wall.append(wall)
                    row.cpu.append(cpu)
                    row.verdicts.add(verdict)
                    row.planned = planned
                    print(
                        f"  round {i + 1}: {measured.label}: {suite}: {planned} tests, "
                        f"{wall:.1f} s",
                        flush=True,
                    )
    for measured in trees:
        report(measured, names, factors)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

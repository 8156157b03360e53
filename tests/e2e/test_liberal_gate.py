"""End to end: the whole gate approves a liberal server, in every built-in dialect.

A liberal server (`run --liberal SEED`) takes every freedom the protocol leaves open,
chosen per connection by the seed (docs/REFERENCE_SERVER.md, "The liberal server"); a
test that fails against it expects one answer where the protocol allows several, a
defect of the harness. Each CI run tries other seeds: they rotate with the day, and a
failure names its seed, which `run --liberal SEED` replays.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .conftest import RUN_DEADLINE_S, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

# Two seeds a dialect a day, different for each dialect and each day of the year.
_DAY = dt.date.today().toordinal()
SEEDS = [
    ("chat-agent/1", 1000 + _DAY % 500),
    ("chat-agent/1", 2000 + _DAY % 500),
    ("netra-2025-09", 3000 + _DAY % 500),
    ("netra-2025-09", 4000 + _DAY % 500),
]


@pytest.mark.parametrize(("profile", "seed"), SEEDS, ids=[f"{p}-{s}" for p, s in SEEDS])
def test_a_liberal_server_is_approved(tmp_path: Path, profile: str, seed: int) -> None:
    run = harness(
        "run", "--liberal", str(seed), "--profile", profile, "--quiet", out=tmp_path / "out"
    )
    failed = []
    if run.verdict is not None:
        failed = [
            f"{test['id']}: {test.get('message', '')[:600]}"
            for suite in run.verdict["suites"]
            for test in suite["tests"]
            if test["outcome"] in ("failed", "error")
        ]
    assert run.code == 0, (
        f"liberal seed {seed} ({profile}) is not APPROVED: a harness defect; replay it with "
        f"`stability-harness run --liberal {seed} --profile {profile}`\n"
        + "\n".join(failed)
        + run.stdout[-2000:]
        + run.stderr[-2000:]
    )
    assert run.verdict is not None
    assert run.verdict["verdict"] == "APPROVED"
    assert run.verdict["environment"]["liberal"] == seed
    report = (run.out / "report.md").read_text("utf-8")
    assert f"liberal seed {seed}: replay with `--liberal {seed}`" in report


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--liberal", "-1"), "a seed is an integer >= 0, not '-1'"),
        (("--liberal", "seven"), "a seed is an integer >= 0, not 'seven'"),
        (
            ("--liberal", "7", "--target", "ws://127.0.0.1:9/ws", "--jwt-secret", "x" * 32),
            "--liberal applies only to the embedded target (--target embedded)",
        ),
    ],
    ids=["negative", "not-a-number", "remote-target"],
)
def test_a_bad_liberal_seed_is_a_usage_error(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    run = harness("run", *args, out=tmp_path / "out")
    assert run.code == 4, run.stdout + run.stderr
    assert message in run.stderr.strip().splitlines()[-1], run.stderr  # the error's one line

"""The split of a plan into shards: every test in exactly one shard, the same on every machine."""

from __future__ import annotations

import random

import pytest

from harness.errors import ConfigError
from harness.run.inventory import collect_plan
from harness.run.shard import Shard, split, split_digest
from harness.run.suite import discover_suites


@pytest.fixture(scope="module")
def real_plan() -> list[str]:
    """Every test id the installed suites plan (both phases), as suite collection finds them."""
    plan = [ident for tests in collect_plan(discover_suites()).tests.values() for ident, _ in tests]
    assert len(plan) > 300, "the built-in suites plan hundreds of tests"
    return plan


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_union_of_shards_is_the_plan_without_overlap(real_plan: list[str], count: int) -> None:
    slices = split(real_plan, {}, count)
    assert len(slices) == count
    assert sum(len(s) for s in slices) == len(real_plan)
    assert set().union(*slices) == set(real_plan)
    # Without durations the shards are balanced by count: sizes differ by one at most.
    assert max(map(len, slices)) - min(map(len, slices)) <= 1


@pytest.mark.parametrize("count", [2, 3, 7])
def test_split_with_durations_still_covers_the_plan_once(real_plan: list[str], count: int) -> None:
    durations = {t: (i % 13) * 0.25 for i, t in enumerate(real_plan) if i % 5}  # some unknown
    slices = split(real_plan, durations, count)
    assert sum(len(s) for s in slices) == len(real_plan)
    assert set().union(*slices) == set(real_plan)


def test_split_is_the_same_whatever_order_the_plan_was_collected_in(real_plan: list[str]) -> None:
    durations = {t: (i % 7) * 0.5 for i, t in enumerate(real_plan)}
    shuffled = list(real_plan)
    random.Random(12).shuffle(shuffled)
    assert split(shuffled, durations, 3) == split(real_plan, durations, 3)
    assert split_digest(shuffled, durations) == split_digest(real_plan, durations)


def test_longest_tests_go_to_the_least_loaded_shard() -> None:
    durations = {"a": 6.0, "b": 5.0, "c": 4.0, "d": 3.0, "e": 2.0, "f": 1.0}
    assert split(list("fedcba"), durations, 2) == [["a", "d", "e"], ["b", "c", "f"]]


def test_a_test_without_a_duration_weighs_the_median() -> None:
    # median of 1, 2, 9 s is 2 s: "x" (unknown) weighs 2 s, like "b"
    durations = {"a": 9.0, "b": 2.0, "c": 1.0}
    assert split(["a", "b", "c", "x"], durations, 2) == [["a"], ["b", "c", "x"]]


def test_other_durations_are_another_split_digest() -> None:
    plan = ["a", "b", "c"]
    assert split_digest(plan, {"a": 1.0}) != split_digest(plan, {"a": 2.0})
    assert split_digest(plan, {"a": 1.0}) == split_digest(plan, {"a": 1.0, "zz": 5.0})


@pytest.mark.parametrize("text", ["0/2", "3/2", "1/0", "2", "a/b", "1/2/3", "-1/2", ""])
def test_bad_shard_values_are_usage_errors(text: str) -> None:
    with pytest.raises(ConfigError, match=r"expected I/N with 1 <= I <= N"):
        Shard.parse(text)


def test_portions_of_the_shards_cover_the_work_once() -> None:
    assert [list(Shard(i, 3).portion(10)) for i in (1, 2, 3)] == [
        [0, 1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
    ]
    assert [len(Shard(i, 4).portion(2)) for i in (1, 2, 3, 4)] == [1, 1, 0, 0]

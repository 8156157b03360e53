"""The scripted agent's expressions and plans (PROTOCOL.md section 4), without sockets."""

from __future__ import annotations

import pytest

from harness.reference.agent import plan_run
from harness.reference.expression import evaluate, find_expressions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What is 2+3?", ["2+3"]),
        ("What is 2+3 and (7-1) * 4 and 7/2 and 6/3?", ["2+3", "(7-1) * 4", "7/2", "6/3"]),
        ("The year 2025 was long", []),
        ("a (5) b", []),
        ("minus -3+5 here", ["3+5"]),
        ("trailing 4 - ", []),
        ("7.5+1", ["5+1"]),
    ],
    ids=[
        "simple",
        "several",
        "bare_number",
        "parenthesised_number",
        "leading_minus",
        "dangling",
        "decimal_point",
    ],
)
def test_find_expressions(text: str, expected: list[str]) -> None:
    assert find_expressions(text) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2+3", 5),
        ("(7-1) * 4", 24),
        ("7/2", 3.5),
        ("6/3", 2),
        ("1/3*3", 1),
        ("2-5", -3),
        ("2*(3+4)-1", 13),
        ("1/0", "division by zero"),
        ("4/(2-2)", "division by zero"),
        ("(2+3", "invalid expression"),
        ("2+3)", "invalid expression"),
        ("2 3+4", "invalid expression"),
        ("2+*3", "invalid expression"),
        ("(1)(2)", "invalid expression"),
        ("(" * 3000 + "1" + ")" * 3000 + "+1", 2),
    ],
    ids=[
        "add",
        "parens",
        "fraction",
        "exact_division",
        "exact_thirds",
        "negative",
        "mixed",
        "div_zero",
        "div_zero_nested",
        "unclosed",
        "unopened",
        "split_number",
        "double_op",
        "juxtaposed",
        "deep",
    ],
)
def test_evaluate(expression: str, expected: object) -> None:
    result = evaluate(expression)
    assert result == expected
    assert type(result) is type(expected)


def test_plan_of_calculator_message() -> None:
    plan = plan_run("What is 2+3 and 7/2?")
    assert not plan.fails
    assert [(c.tool_name, c.parameters, c.result) for c in plan.calls] == [
        ("calculator", {"expression": "2+3"}, 5),
        ("calculator", {"expression": "7/2"}, 3.5),
    ]
    assert "5" in plan.final_response and "3.5" in plan.final_response


def test_plan_without_expression_counts_words() -> None:
    plan = plan_run("the quick  brown\tfox")
    assert [(c.tool_name, c.parameters, c.result) for c in plan.calls] == [
        ("word_count", {"text": "the quick  brown\tfox"}, 4)
    ]
    assert "4" in plan.final_response


def test_plan_of_fail_prefix_fails() -> None:
    assert plan_run("fail: please").fails
    assert not plan_run("do not fail: please").fails

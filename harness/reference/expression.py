"""Arithmetic expressions of the scripted agent (PROTOCOL.md section 4): finding, evaluating.

Evaluation is exact (fractions), never `eval`, and iterative (a shunting-yard
parse into postfix), so deep parentheses cannot exhaust the stack.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Final

DIVISION_BY_ZERO: Final = "division by zero"
INVALID_EXPRESSION: Final = "invalid expression"

_RUN: Final = re.compile(r"[0-9()+\-*/ ]+")
_STARTS: Final = frozenset("0123456789(")
_ENDS: Final = frozenset("0123456789)")
_OPERATORS: Final = frozenset("+-*/")
_TOKEN: Final = re.compile(r"[0-9]+|[()+\-*/]")
_BINARY_PRECEDENCE: Final = {"+": 1, "-": 1, "*": 2, "/": 2}
_UNARY: Final = {"+": "u+", "-": "u-"}
_UNARY_PRECEDENCE: Final = 3
# Results past this many bits cannot be written as JSON (Python's int-to-str limit).
_MAX_RESULT_BITS: Final = 13_000

Result = int | float | str


class _Invalid(Exception):
    """The text is not a well-formed expression."""


def find_expressions(text: str, *, bare_numbers: bool = False) -> list[str]:
    """Every expression of `text` in order: maximal runs, trimmed, that hold an operator.

    `bare_numbers` (the `bare-number-expression` defect) drops the operator requirement.
    """
    found: list[str] = []
    for match in _RUN.finditer(text):
        run = match.group()
        starts = [i for i, char in enumerate(run) if char in _STARTS]
        ends = [i for i, char in enumerate(run) if char in _ENDS]
        if not starts or not ends or ends[-1] < starts[0]:
            continue
        candidate = run[starts[0] : ends[-1] + 1]
        if bare_numbers or any(char in _OPERATORS for char in candidate):
            found.append(candidate)
    return found


def evaluate(expression: str, *, flat: bool = False) -> Result:
    """The value of `expression`: an int when exact, else a float, or an error string.

    `flat` (the `left-to-right-arithmetic` defect) gives every binary operator one precedence.
    """
    try:
        postfix = _to_postfix(_TOKEN.findall(expression.replace(" ", "")), expression, flat)
        value = _run_postfix(postfix)
    except _Invalid:
        return INVALID_EXPRESSION
    except ZeroDivisionError:
        return DIVISION_BY_ZERO
    if value.denominator == 1:
        if value.numerator.bit_length() > _MAX_RESULT_BITS:
            return INVALID_EXPRESSION
        return int(value.numerator)
    try:
        return float(value)
    except OverflowError:
        return INVALID_EXPRESSION


def _to_postfix(tokens: list[str], expression: str, flat: bool = False) -> list[str]:
    """The tokens in postfix order; _Invalid for any syntax error."""
    if "".join(tokens) != expression.replace(" ", "") or _has_split_number(expression):
        raise _Invalid
    output: list[str] = []
    stack: list[str] = []
    expect_operand = True
    for token in tokens:
        if token.isdigit():
            if not expect_operand:
                raise _Invalid
            output.append(token)
            expect_operand = False
        elif token == "(":
            if not expect_operand:
                raise _Invalid
            stack.append(token)
        elif token == ")":
            if expect_operand:
                raise _Invalid
            while stack and stack[-1] != "(":
                output.append(stack.pop())
            if not stack:
                raise _Invalid
            stack.pop()
        elif expect_operand:
            if token not in _UNARY:  # `*` or `/` with no left operand
                raise _Invalid
            stack.append(_UNARY[token])
        else:
            precedence = _precedence(token, flat)
            while stack and stack[-1] != "(" and _precedence(stack[-1], flat) >= precedence:
                output.append(stack.pop())
            stack.append(token)
            expect_operand = True
    if expect_operand:
        raise _Invalid
    while stack:
        top = stack.pop()
        if top == "(":
            raise _Invalid
        output.append(top)
    return output


def _has_split_number(expression: str) -> bool:
    """True when two numbers are separated only by spaces (`2 3`), which is no expression."""
    return re.search(r"[0-9] +[0-9]", expression) is not None


def _precedence(operator: str, flat: bool = False) -> int:
    if operator in ("u+", "u-"):
        return _UNARY_PRECEDENCE
    return 1 if flat else _BINARY_PRECEDENCE[operator]


def _run_postfix(postfix: list[str]) -> Fraction:
    """The exact value of a postfix token list; ZeroDivisionError on division by zero."""
    values: list[Fraction] = []
    for token in postfix:
        if token.isdigit():
            try:
                values.append(Fraction(int(token)))
            except ValueError:  # more digits than Python converts
                raise _Invalid from None
        elif token in ("u+", "u-"):
            operand = values.pop()
            values.append(-operand if token == "u-" else operand)
        else:
            right = values.pop()
            left = values.pop()
            if token == "+":
                values.append(left + right)
            elif token == "-":
                values.append(left - right)
            elif token == "*":
                values.append(left * right)
            else:
                values.append(left / right)
    (value,) = values
    return value

"""A received text read as a frame as Python's json module reads it
(harness/wire/translation.py): the values a server may send and the suites judge (NaN,
integers past 64 bits, lone surrogates) keep their type and value, so that a faster
reader put in its place (orjson reads an integer past 64 bits as a float) cannot change
what a suite sees."""

from __future__ import annotations

import math
from typing import Any

import pytest

from harness.wire.translation import parse_frame


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "ack", "seq": 3}', {"type": "ack", "seq": 3}),
        ('{"t": 1757350201.447585}', {"t": 1757350201.447585}),
        ('{"t": "2025-09-08T16:50:01.447585"}', {"t": "2025-09-08T16:50:01.447585"}),
        ('{"n": 9223372036854775807}', {"n": 9223372036854775807}),  # 19 digits: int
        ('{"n": 123456789012345678901234567890}', {"n": 123456789012345678901234567890}),
        ('{"n": -9223372036854775809}', {"n": -9223372036854775809}),
        ('{"n": 18446744073709551616}', {"n": 18446744073709551616}),
        ('{"x": 0.12345678901234567890123}', {"x": 0.12345678901234568}),
        ('{"a": 1, "a": 2}', {"a": 2}),  # the last of a repeated key
        ('{"s": "\\ud800"}', {"s": "\ud800"}),  # a lone surrogate, as json reads it
        ('{"x": 1e400}', {"x": math.inf}),
        ('{"x": -0}', {"x": 0}),
        ("[1, 2]", {"__not_an_object__": [1, 2]}),
        ('"text"', {"__not_an_object__": "text"}),
        ("{'type': 'ack'}", {"__invalid_json__": "{'type': 'ack'}"}),
        ('{"x": 1,}', {"__invalid_json__": '{"x": 1,}'}),
        ("", {"__invalid_json__": ""}),
    ],
)
def test_a_text_reads_as_the_json_module_reads_it(text: str, expected: dict[str, Any]) -> None:
    frame = parse_frame(text)
    assert frame == expected
    # Equal is not enough: 2**64 == 2.0**64, but a float is not what the server sent.
    assert [type(v) for v in frame.values()] == [type(v) for v in expected.values()]


def test_nan_reads_as_nan() -> None:
    frame = parse_frame('{"timestamp": NaN, "b": Infinity, "c": -Infinity}')
    assert math.isnan(frame["timestamp"])
    assert frame["b"] == math.inf and frame["c"] == -math.inf

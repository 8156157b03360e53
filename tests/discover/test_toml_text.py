"""The draft's TOML text: literals that tomllib reads back, comments on one line."""

from __future__ import annotations

import tomllib

import pytest

from harness.discover.probe import Exchange
from harness.discover.toml_text import Table, saw, short, toml_value


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (True, "true"),
        (8192, "8192"),
        ('Zürich "q"', '"Zürich \\"q\\""'),
        (["header", "query"], '["header", "query"]'),
        ({"data.event": "fallback_mode"}, '{ "data.event" = "fallback_mode" }'),
        ({}, "{}"),
    ],
)
def test_literals_read_back(value: object, literal: str) -> None:
    assert toml_value(value) == literal
    assert tomllib.loads(f"k = {literal}") == {"k": value}


def test_a_table_writes_its_comment_then_its_key() -> None:
    table = Table("server.notices.system_message")
    table.key("match", {"data.event": "x"}, "likely: what tells\nthis notice apart")
    assert table.lines == [
        "# likely: what tells this notice apart",
        'match = { "data.event" = "x" }',
    ]


def test_raw_frames_are_shortened_to_one_line() -> None:
    assert short('{"a":\n1}') == '{"a": 1}'
    long = '{"type": "' + "x" * 200 + '"}'
    assert short(long) == '{"type": "' + "x" * 147 + "..."
    assert len(short(long)) == 160


def test_what_came_back_is_said_in_a_few_words() -> None:
    assert saw(Exchange(tried=False)) == "not tried (out of time)"
    assert saw(Exchange(frames=["a", "b", "c", "d"], closed=1008)) == (
        "a then b (+2 more); closed 1008"
    )
    assert saw(Exchange()) == "no frame"

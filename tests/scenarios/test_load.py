"""Loading scenario files: what a valid one holds, and each mistake refused with one line
naming the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.scenarios.load import load_folders, load_scenario

HEAD = '[scenario]\nname = "s"\n'
TURN = '[[turn]]\nsend = "What is 2+3?"\n'


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message
    return message.replace(str(path), "FILE")


def test_a_full_scenario_loads(tmp_path: Path) -> None:
    (tmp_path / "answer.json").write_text('{"type": "object"}', encoding="utf-8")
    path = write(
        tmp_path,
        '[scenario]\nname = "arithmetic"\ndescription = "d"\nruns = 3\nmin_pass = 2\n'
        '[[turn]]\nsend = "What is 2+3?"\n'
        '[[turn.check]]\ncontains = "5"\n'
        '[[turn.check]]\ntool_called = "calculator"\narguments = { expression = "2+3" }\n'
        '[[turn]]\nsend = "again"\nthread = "new"\n'
        '[[turn.check]]\njson_schema = "answer.json"\n'
        '[[turn.check]]\nabsent = "agent_error"\nwithin_ms = 50\n',
    )
    scenario = load_scenario(path)
    assert (scenario.name, scenario.description, scenario.runs, scenario.min_pass) == (
        "arithmetic",
        "d",
        3,
        2,
    )
    assert [t.send for t in scenario.turns] == ["What is 2+3?", "again"]
    assert [t.thread for t in scenario.turns] == ["same", "new"]
    assert [c.kind for c in scenario.turns[0].checks] == ["contains", "tool_called"]
    assert scenario.turns[0].checks[1].options == {"arguments": {"expression": "2+3"}}
    assert [c.kind for c in scenario.turns[1].checks] == ["json_schema", "absent"]
    assert scenario.check_count == 4


def test_defaults_one_run_all_must_pass(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, HEAD + TURN))
    assert (scenario.runs, scenario.min_pass, scenario.turns[0].checks) == (1, 1, ())
    three = load_scenario(write(tmp_path, HEAD + "runs = 3\n" + TURN))
    assert (three.runs, three.min_pass) == (3, 3)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            HEAD + TURN + '[[turn.check]]\nsmells_like = "5"\n',
            "FILE:6: turn[1].check[1].smells_like: unknown check kind (expected one of "
            "contains, icontains, regex, not_contains, not_icontains, not_regex, json_schema, "
            "json_path, tool_called, tool_not_called, absent, within_ms, predicate)",
        ),
        (
            HEAD + TURN + '[[turn.check]]\ncontains = "5"\nregex = "5"\n',
            "FILE:7: turn[1].check[1].regex: a check has one kind; this one also has contains",
        ),
        (
            HEAD + "runs = 2\nmin_pass = 3\n" + TURN,
            "FILE:4: scenario.min_pass: 3 is more than runs (2)",
        ),
        (
            HEAD + "runs = 0\n" + TURN,
            "FILE:3: scenario.runs: expected a whole number >= 1, got 0",
        ),
        (
            HEAD + TURN + '[[turn.check]]\ncontains = "5"\n' + TURN + "[[turn.check]]\n"
            'regex = "(unclosed"\n',
            "FILE:10: turn[2].check[1].regex: does not compile: missing ), unterminated "
            "subpattern at position 0",
        ),
        (
            HEAD + TURN + "[[turn.check]]\njson_schema = { type = 12 }\n",
            "FILE:6: turn[1].check[1].json_schema: not a valid JSON Schema: 12 is not valid "
            "under any of the given schemas",
        ),
        (
            HEAD + TURN + '[[turn.check]]\npredicate = "tests.scenarios.nowhere:judge"\n',
            "FILE:6: turn[1].check[1].predicate: 'tests.scenarios.nowhere:judge' does not "
            "import: No module named 'tests.scenarios.nowhere'",
        ),
        (
            HEAD + TURN + '[[turn.check]]\npredicate = "no_colon"\n',
            "FILE:6: turn[1].check[1].predicate: expected 'package.module:function', "
            "got 'no_colon'",
        ),
        (
            HEAD + TURN + '[[turn.check]]\nabsent = "agent_error"\n',
            "FILE:6: turn[1].check[1].absent: needs within_ms",
        ),
        (
            HEAD + TURN + '[[turn.check]]\njson_path = "a.b"\n',
            "FILE:6: turn[1].check[1].json_path: needs equals",
        ),
        (
            HEAD + TURN + '[[turn.check]]\ncontains = "5"\ntool = "calculator"\n',
            "FILE:7: turn[1].check[1].tool: not an option of contains (its options: none)",
        ),
        (
            HEAD + TURN + '[[turn.check]]\ntool_called = "calculator"\nequals = 5\n',
            "FILE:7: turn[1].check[1].equals: not an option of tool_called (its options: "
            "arguments)",
        ),
        (
            HEAD + TURN + "[[turn.check]]\nwithin_ms = -5\n",
            "FILE:6: turn[1].check[1].within_ms: expected milliseconds > 0, got -5",
        ),
        (
            HEAD + '[[turn]]\nsend = "x"\nthread = "other"\n',
            "FILE:5: turn[1].thread: expected 'same' or 'new', got 'other'",
        ),
        (
            HEAD + '[[turn]]\nsend = ""\n',
            "FILE:4: turn[1].send: expected the user's message, a non-empty string",
        ),
        (HEAD, "FILE: turn: at least one [[turn]] is required"),
        (
            '[scenario]\nname = "has space"\n' + TURN,
            "FILE:2: scenario.name: expected a name of letters, digits, _ . -",
        ),
        (
            HEAD + 'colour = "red"\n' + TURN,
            "FILE:3: scenario.colour: unknown key (expected one of name, description, runs, "
            "min_pass)",
        ),
        (
            HEAD + TURN + '[[turn.check]]\njson_schema = "missing.json"\n',
            "FILE:6: turn[1].check[1].json_schema: cannot read",
        ),
        (HEAD + "runs = \n", "FILE:3: TOML: Invalid value (at line 3, column 8)"),
    ],
)
def test_a_bad_file_is_refused_with_file_line_and_key(
    tmp_path: Path, text: str, error: str
) -> None:
    message = refusal(tmp_path, text)
    if error.endswith("cannot read"):
        assert message.startswith(error + " FILE".replace("FILE", str(tmp_path)))
    else:
        assert message == error


def test_a_name_given_twice_in_the_folders_is_refused(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    write(one, HEAD + TURN)
    write(two, HEAD + TURN)
    with pytest.raises(ConfigError) as caught:
        load_folders([one, two])
    assert str(caught.value) == f"{two / 's.toml'}: name: scenario 's' is also in {one / 's.toml'}"


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_folders([tmp_path / "nope"])
    assert str(caught.value) == f"{tmp_path / 'nope'}: no such scenario folder"


def test_folders_give_every_toml_file_sorted_by_name(tmp_path: Path) -> None:
    write(tmp_path, '[scenario]\nname = "zeta"\n' + TURN, "a.toml")
    write(tmp_path, '[scenario]\nname = "alpha"\n' + TURN, "b.toml")
    write(tmp_path, "not a scenario", "notes.txt")
    assert [s.name for s in load_folders([tmp_path])] == ["alpha", "zeta"]

"""The rule catalogue: well formed, each rule verified by a built-in test, no unknown rule named."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.rules import RULE_ID, load_catalogue, parse_catalogue
from harness.run.inventory import collect_plan
from harness.run.suite import discover_suites

BUILT_IN = (
    "agent_events",
    "business_flow",
    "load",
    "message_routing",
    "replays",
    "security",
    "staging_repro",
    "timestamp_core",
)


@pytest.fixture(scope="module")
def built_in_plan() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Every built-in test (converter tests included) with the rules it names."""
    suites = [s for s in discover_suites() if s.name in BUILT_IN]
    plan = collect_plan(suites)
    assert not plan.errors, plan.errors
    return plan.tests


def test_catalogue_is_well_formed() -> None:
    catalogue = load_catalogue()
    assert sorted(catalogue.sections) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert len(catalogue.rules) > 100
    ids = [rule.id for rule in catalogue.rules]
    assert len(ids) == len(set(ids))
    for rule in catalogue.rules:
        assert RULE_ID.match(rule.id), rule.id
        assert rule.id.startswith(f"{rule.section}."), rule.id
        assert set(rule.capabilities) <= set(catalogue.capabilities), rule.id


def test_every_section_has_rules() -> None:
    sections = {rule.section for rule in load_catalogue().rules}
    assert sections == {1, 2, 3, 4, 5, 6, 7, 8, 9}


def test_the_examples_of_the_design_are_rules() -> None:
    catalogue = load_catalogue()
    for rule_id in ("5.rejected.boolean", "6.close.never-1011"):
        assert rule_id in catalogue


def test_every_rule_has_a_built_in_test(
    built_in_plan: dict[str, list[tuple[str, tuple[str, ...]]]],
) -> None:
    named = {rule for tests in built_in_plan.values() for _, rules in tests for rule in rules}
    missing = [rule.id for rule in load_catalogue().rules if rule.id not in named]
    assert missing == [], f"{len(missing)} rules have no test: {missing}"


def test_every_built_in_test_names_known_rules(
    built_in_plan: dict[str, list[tuple[str, tuple[str, ...]]]],
) -> None:
    catalogue = load_catalogue()
    unnamed = [ident for tests in built_in_plan.values() for ident, rules in tests if not rules]
    assert unnamed == [], f"tests that name no rule: {unnamed}"
    unknown = [
        (ident, rule)
        for tests in built_in_plan.values()
        for ident, rules in tests
        for rule in rules
        if rule not in catalogue
    ]
    assert unknown == []


def test_a_test_naming_an_unknown_rule_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_unknown=textwrap.dedent(
            """
            import pytest

            @pytest.mark.rules("5.rejected.boolean")
            def test_known():
                pass

            @pytest.mark.rules("5.rejected.no-such-rule")
            def test_unknown():
                pass
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "--harness")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_unknown*names unknown rule '5.rejected.no-such-rule'*"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[sections", "not valid TOML", id="not-toml"),
        pytest.param(
            '[capabilities]\n[[rule]]\nid = "1.a"\nsection = 1\ntext = "t"\n',
            "[sections] is missing or empty",
            id="no-sections",
        ),
        pytest.param(
            '[sections]\n"1" = "A"\n[capabilities]\n',
            "no [[rule]] entries",
            id="no-rules",
        ),
        pytest.param(
            '[sections]\n"1" = "A"\n[capabilities]\n'
            '[[rule]]\nid = "1.A"\nsection = 1\ntext = "t"\n',
            "rule[0].id '1.A': expected SECTION.topic.name",
            id="uppercase-id",
        ),
        pytest.param(
            '[sections]\n"1" = "A"\n"2" = "B"\n[capabilities]\n'
            '[[rule]]\nid = "2.a.b"\nsection = 1\ntext = "t"\n',
            "rule[0].id '2.a.b': does not start with its section 1",
            id="id-section-mismatch",
        ),
        pytest.param(
            '[sections]\n"1" = "A"\n[capabilities]\n[[rule]]\nid = "1.a"\nsection = 1\ntext = "t"\n'
            '[[rule]]\nid = "1.a"\nsection = 1\ntext = "u"\n',
            "rule[1].id '1.a' is not unique",
            id="duplicate-id",
        ),
        pytest.param(
            '[sections]\n"1" = "A"\n[capabilities]\nseq = "s"\n'
            '[[rule]]\nid = "1.a"\nsection = 1\ntext = "t"\ncapabilities = ["sequence"]\n',
            "rule[0].capabilities (1.a): 'sequence' is not in [capabilities]",
            id="unknown-capability",
        ),
        pytest.param(
            '[sections]\n"1" = "A"\n[capabilities]\n[[rule]]\nid = "1.a"\nsection = 1\ntext = ""\n',
            "rule[0].text (1.a): expected one non-empty line",
            id="empty-text",
        ),
        pytest.param(
            '[sections]\n"1" = "A"\n[capabilities]\n'
            '[[rule]]\nid = "1.a"\nsection = 1\ntext = "t"\nseverity = "high"\n',
            "rule[0].severity: unknown key",
            id="unknown-key",
        ),
    ],
)
def test_a_malformed_catalogue_is_refused_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_catalogue(text, "catalogue.toml")
    assert str(caught.value).startswith("catalogue.toml: ")
    assert message in str(caught.value)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_rules_command_lists_every_rule_whole_when_piped() -> None:
    proc = _cli("rules")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "id\tsection\tcapabilities\ttext"
    rows = [line.split("\t") for line in lines[1:]]
    assert [row[0] for row in rows] == [rule.id for rule in load_catalogue().rules]
    by_id = {row[0]: row for row in rows}
    assert by_id["6.close.never-1011"][1] == "6"
    for rule in load_catalogue().rules:  # nothing cut to a terminal's width
        assert by_id[rule.id][3] == rule.text


def test_rules_command_json_lists_rules_with_their_tests() -> None:
    proc = _cli("rules", "--format", "json", "--tests")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["sections"]["5"]
    rules = {rule["id"]: rule for rule in document["rules"]}
    assert rules["5.rejected.boolean"]["section"] == 5
    assert any(test.startswith("timestamp_core::") for test in rules["5.rejected.boolean"]["tests"])


@pytest.mark.parametrize("command", ["suites", "defects"])
def test_listings_print_whole_names_when_piped(command: str) -> None:
    proc = _cli(command)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    first = {line.split("\t")[0] for line in lines[1:]}
    if command == "suites":
        assert lines[0] == "suite\ttitle\tcriticality\tplanned\tcapabilities\tmodule"
        assert set(BUILT_IN) <= first
        row = next(line.split("\t") for line in lines if line.startswith("message_routing\t"))
        assert row[5] == "suites.message_routing"
    else:
        assert lines[0] == "name\twhat it breaks\tcaught by"
        assert {
            "iso-timestamp-crash",
            "silent-timestamp-fallback",
            "history-lost-on-reconnect",
        } <= (first)


@pytest.mark.slow
def test_the_wheel_ships_templates_inside_harness(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("templates/")]
    assert "harness/report/templates/report.html.j2" in names
    assert "harness/rules/catalogue.toml" in names
    assert "harness/verdict/default_policy.toml" in names
    assert "suites/timestamp_core/__init__.py" in names
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"harness", "suites"}
    # Every package of the tree ships (pyproject lists them one by one).
    for init in sorted((*root.glob("harness/**/__init__.py"), *root.glob("suites/**/__init__.py"))):
        assert init.relative_to(root).as_posix() in names, init
    assert "harness/wire/profiles/netra-2025-09.toml" in names
    assert "suites/replays/captures/staging-2025-09-08-iso-timestamp.jsonl" in names


def test_defects_with_a_profile_say_which_apply() -> None:
    proc = _cli("defects", "--profile", "netra-2025-09")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "name\tapplies\twhat it breaks\tcaught by"
    applies = {line.split("\t")[0]: line.split("\t")[1] for line in lines[1:]}
    assert applies["stats-drift"] == "no: netra-2025-09 lacks stats"
    assert applies["iso-timestamp-crash"] == "yes"
    assert applies["drop-tool-completed"] == "yes"

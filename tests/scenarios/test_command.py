"""`stability-harness scenario check` and `scenario from-capture`, through the CLI's main."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "scenarios"
CAPTURE = ROOT / "suites" / "replays" / "captures" / "staging-2025-09-08-iso-timestamp.jsonl"


def test_check_prints_one_line_per_valid_file(capsys: pytest.CaptureFixture[str]) -> None:
    files = [EXAMPLES / "arithmetic.toml", EXAMPLES / "word_count.toml"]
    assert main(["scenario", "check", *map(str, files)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{files[0]}: valid scenario 'arithmetic' (2 turns, 6 checks, 2 of 3)",
        f"{files[1]}: valid scenario 'word-count' (1 turns, 3 checks, 1 of 1)",
    ]


def test_check_exits_4_with_the_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[scenario]\nname = "b"\nruns = 2\nmin_pass = 3\n[[turn]]\nsend = "hi"\n', encoding="utf-8"
    )
    assert main(["scenario", "check", str(EXAMPLES / "word_count.toml"), str(bad)]) == 4
    captured = capsys.readouterr()
    assert captured.err == (
        f"stability-harness: error: {bad}:4: scenario.min_pass: 3 is more than runs (2)\n"
    )


def test_from_capture_writes_a_valid_skeleton(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "skeleton.toml"
    assert main(["scenario", "from-capture", str(CAPTURE), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: scenario skeleton from {CAPTURE}\n"
    assert out.read_text(encoding="utf-8") == (
        "# A skeleton made by `stability-harness scenario from-capture`: edit its checks.\n"
        "[scenario]\n"
        'name = "staging-2025-09-08-iso-timestamp"\n'
        'description = "The staging outage of 2025-09-08: a start_agent frame whose timestamp '
        "is the zone-less ISO string '2025-09-08T16:50:01.447585' crashed the handler and "
        'closed the socket with 1011"\n'
        "\n"
        "[[turn]]\n"
        'send = "Summarise the status of my deployment"\n'
        "[[turn.check]]\n"
        "within_ms = 1000  # 21 ms recorded\n"
        "# [[turn.check]]\n"
        '# contains = "Your message has 6 words."\n'
    )
    assert main(["scenario", "check", str(out)]) == 0


def test_from_capture_of_a_capture_without_a_user_message_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = CAPTURE.read_text(encoding="utf-8").splitlines()
    quiet = tmp_path / "quiet.jsonl"
    quiet.write_text(
        "\n".join([lines[0], *(line for line in lines[1:] if "start_agent" not in line)]) + "\n",
        encoding="utf-8",
    )
    assert main(["scenario", "from-capture", str(quiet)]) == 4
    assert capsys.readouterr().err == (
        f"stability-harness: error: {quiet}: the capture sends no user_message or start_agent\n"
    )

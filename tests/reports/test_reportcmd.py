"""`stability-harness report`: re-renders the golden report byte for byte; bad input is exit 4."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import pytest

from harness.report import command as reportcmd
from harness.report.render import write_reports

GOLDEN_VERDICT = Path(__file__).parent / "golden" / "verdict.json"
GOLDEN_REPORT = Path(__file__).parent / "golden" / "report.md"


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="stability-harness report")
    reportcmd.add_arguments(parser)
    return reportcmd.main(parser.parse_args(argv))


def _save(verdict: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "verdict.json"
    path.write_text(json.dumps(verdict, indent=2), encoding="utf-8")
    return path


def test_defaults_are_all_formats_into_the_verdict_folder(tmp_path: Path) -> None:
    """Without options: every format, written beside the verdict.json."""
    parser = argparse.ArgumentParser()
    reportcmd.add_arguments(parser)
    args = parser.parse_args([str(tmp_path / "verdict.json")])
    assert args.format == "all"
    assert args.out is None


def test_rerender_matches_the_golden_report(verdict: dict[str, Any], tmp_path: Path) -> None:
    """`report golden/verdict.json` writes exactly the reviewed golden report.md, and the
    same report.html and junit.xml as the run that wrote that verdict.json.

    golden/verdict.json is the sample verdict of conftest.py, checked in. To regenerate
    both files after a deliberate change of the sample or of the report, run
    `UPDATE_GOLDEN=1 python -m pytest tests/reports/test_reportcmd.py -k golden`,
    then review `git diff tests/reports/golden` before committing it.
    """
    if os.environ.get("UPDATE_GOLDEN") == "1":
        text = json.dumps(verdict, indent=2, ensure_ascii=False) + "\n"
        GOLDEN_VERDICT.write_text(text, encoding="utf-8", newline="\n")
    out = tmp_path / "rendered"
    assert _run([str(GOLDEN_VERDICT), "--out", str(out)]) == 0
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_REPORT.write_bytes((out / "report.md").read_bytes())
    assert (out / "report.md").read_bytes() == GOLDEN_REPORT.read_bytes()
    original = write_reports(verdict, tmp_path / "run")
    for fmt, path in original.items():
        assert (out / path.name).read_bytes() == path.read_bytes(), fmt


def test_one_format_to_a_file(
    verdict: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format junit --out FILE writes only that file and prints its path."""
    source = _save(verdict, tmp_path)
    target = tmp_path / "out" / "results.xml"
    assert _run([str(source), "--format", "junit", "--out", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "verdict.json"]
    assert capsys.readouterr().out == f"{target}\n"


def test_all_formats_to_a_folder(verdict: dict[str, Any], tmp_path: Path) -> None:
    """--out DIR with all formats writes the three reports there."""
    source = _save(verdict, tmp_path)
    assert _run([str(source), "--out", str(tmp_path / "html-too")]) == 0
    names = sorted(p.name for p in (tmp_path / "html-too").iterdir())
    assert names == ["junit.xml", "report.html", "report.md"]


def test_invalid_json_is_a_one_line_error_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is not JSON: exit 4, one stderr line naming the file, nothing written."""
    source = tmp_path / "verdict.json"
    source.write_text('{"schema": ', encoding="utf-8")
    assert _run([str(source)]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(source) in err
    assert "invalid JSON" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verdict.json"]


def test_wrong_schema_is_exit_4(
    verdict: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another schema: exit 4 with a one-line error naming the file and both schemas."""
    verdict["schema"] = "stability-harness/verdict@2"
    source = _save(verdict, tmp_path)
    assert _run([str(source)]) == 4
    err = capsys.readouterr().err
    assert err == (
        f"stability-harness report: error: {source}: schema is "
        "'stability-harness/verdict@2', expected 'stability-harness/verdict@1'\n"
    )


def test_missing_file_and_missing_keys_are_exit_4(
    verdict: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing file, or a verdict without its suites, is a usage error (exit 4)."""
    assert _run([str(tmp_path / "nope.json")]) == 4
    assert str(tmp_path / "nope.json") in capsys.readouterr().err
    del verdict["suites"]
    source = _save(verdict, tmp_path)
    assert _run([str(source)]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not a valid verdict" in err

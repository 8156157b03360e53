"""The `report` subcommand: re-renders the reports of an earlier run from its verdict.json."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from harness.errors import ConfigError
from harness.report import render

SCHEMA = "stability-harness/verdict@1"
EXIT_OK = 0
EXIT_USAGE = 4
FORMATS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "md": render.render_markdown,
    "html": render.render_html,
    "junit": render.render_junit,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the `report` options: VERDICT_JSON, --format and --out."""
    parser.add_argument(
        "verdict_json", metavar="VERDICT_JSON", type=Path, nargs="?", help="a verdict.json"
    )
    parser.add_argument(
        "--from",
        dest="from_dir",
        type=Path,
        metavar="DIR",
        help="judge a run that never finished (killed) from DIR/results.jsonl; "
        "exits with its verdict's code",
    )
    parser.add_argument(
        "--format",
        choices=("md", "html", "junit", "all"),
        default="all",
        help="which report to write (default: all)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH",
        help="a file for one format, a folder for all (default: the verdict.json's folder)",
    )


def load_verdict(path: Path) -> dict[str, Any]:
    """The verdict dict in `path`; ValueError with a one-line message naming the file otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a verdict: expected a JSON object")
    schema = data.get("schema")
    if schema != SCHEMA:
        raise ValueError(f"{path}: schema is {schema!r}, expected {SCHEMA!r}")
    return data


def _outputs(fmt: str, out: Path | None, source: Path) -> dict[str, Path]:
    if fmt == "all":
        folder = out if out is not None else source.parent
        return {name: folder / filename for name, filename in render.REPORT_FILES.items()}
    if out is None:
        return {fmt: source.parent / render.REPORT_FILES[fmt]}
    return {fmt: out / render.REPORT_FILES[fmt] if out.is_dir() else out}


def main(args: argparse.Namespace, rebuild: Callable[[Path], int] | None = None) -> int:
    """Writes the requested reports; 0 on success, 4 for a bad file or schema (one-line error).
    `--from DIR` is `rebuild(DIR)` (the run part's, harness/run/recovery.py: the caller gives it,
    so that the report part imports nothing of the run part)."""
    if (args.from_dir is None) == (args.verdict_json is None):
        print("stability-harness report: error: give VERDICT_JSON or --from DIR", file=sys.stderr)
        return EXIT_USAGE
    if args.from_dir is not None:
        return _rebuild(args.from_dir, rebuild)
    source: Path = args.verdict_json
    try:
        verdict = load_verdict(source)
        texts = {fmt: FORMATS[fmt](verdict) for fmt in _outputs(args.format, args.out, source)}
    except ValueError as exc:
        print(f"stability-harness report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (jinja2.UndefinedError, KeyError, TypeError, AttributeError) as exc:
        detail = " ".join(str(exc).split())
        print(
            f"stability-harness report: error: {source}: not a valid verdict: {detail}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    for fmt, path in _outputs(args.format, args.out, source).items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            render.write_text(path, texts[fmt])
        except OSError as exc:
            print(
                f"stability-harness report: error: {path}: {exc.strerror or exc}", file=sys.stderr
            )
            return EXIT_USAGE
        print(path)
    return EXIT_OK


def _rebuild(out: Path, rebuild: Callable[[Path], int] | None) -> int:
    if rebuild is None:
        print("stability-harness report: error: --from is not available here", file=sys.stderr)
        return EXIT_USAGE
    try:
        return rebuild(out.resolve())
    except ConfigError as exc:
        print(f"stability-harness report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE

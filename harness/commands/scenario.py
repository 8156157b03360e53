"""`stability-harness scenario check|from-capture`: scenario files validated, a scenario
skeleton made from a capture (docs/SCENARIOS.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "check scenario files, or make a scenario skeleton from a capture"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The actions check and from-capture."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="validate scenario files (exit 4 on the first bad one)"
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    skeleton = actions.add_parser("from-capture", help="a scenario skeleton from a capture")
    skeleton.add_argument("capture", type=Path, metavar="CAPTURE")
    skeleton.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")


def run(args: argparse.Namespace) -> int:
    """Run the action; a bad file raises ConfigError (exit 4, its one line)."""
    if args.action == "check":
        return _check(args.files)
    return _from_capture(args.capture, args.out)


def _check(files: list[Path]) -> int:
    from harness.scenarios.load import load_scenario

    for file in files:
        s = load_scenario(file)
        print(
            f"{file}: valid scenario {s.name!r} ({len(s.turns)} turns, {s.check_count} checks, "
            f"{s.min_pass} of {s.runs})"
        )
    return 0


def _from_capture(path: Path, out: Path | None) -> int:
    from harness.errors import ConfigError
    from harness.replay.capture import load_capture
    from harness.scenarios.load import load_scenario
    from harness.scenarios.skeleton import Recorded, skeleton
    from harness.wire.codec import Codec
    from harness.wire.profile import load_profile
    from harness.wire.translation import parse_frame

    capture = load_capture(path)
    codec = Codec(load_profile(capture.header.profile))
    conversations = []
    for events in capture.connections().values():
        frames = []
        for event in events:
            if event.kind != "text":
                continue
            wire = parse_frame(event.data)
            client = event.dir == "client"
            frame = codec.decode_client(wire) if client else codec.decode(wire)
            frames.append(Recorded(event.t, client, frame))
        conversations.append(frames)
    note = capture.header.note.split(". ")[0] if capture.header.note else f"from {path.name}"
    text = skeleton(path.stem, note, conversations)
    if "[[turn]]" not in text:
        raise ConfigError(f"{path}: the capture sends no user_message or start_agent")
    if out is None:
        sys.stdout.write(text)
        return 0
    out.write_text(text, encoding="utf-8")
    load_scenario(out)  # what it wrote is a valid scenario
    print(f"{out}: scenario skeleton from {path}")
    return 0

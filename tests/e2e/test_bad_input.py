"""End to end: every wrong input is exit 4 with exactly one stderr line naming what and where."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

DEADLINE_S = 60
EXIT_USAGE = 4
SECRET = "bad-input-secret-of-at-least-32-bytes-00"
CAPTURE = (
    Path(__file__).parents[2] / "suites/replays/captures/staging-2025-09-08-iso-timestamp.jsonl"
)

WAIVER = '[[waivers]]\npattern = "x::*"\nreason = "r"\nowner = "o"\nticket = "T-1"\n'


def truncated_capture() -> str:
    """The staging capture with its second line cut in the middle of a string."""
    first, second = CAPTURE.read_text().splitlines()[:2]
    return f"{first}\n{second[:40]}\n"


def case(
    case_id: str,
    args: tuple[str, ...],
    expected: tuple[str, ...],
    files: dict[str, str] | None = None,
) -> object:
    """One wrong input: the command ({dir} is the test's folder), the files it reads, the
    substrings its one error line must hold."""
    return pytest.param(args, expected, files or {}, id=case_id)


CASES = [
    case("target-not-ws", ("run", "--target", "http://x/ws"), ("--target", "http://x/ws", "ws://")),
    case(
        "target-port-out-of-range",
        ("run", "--target", "ws://127.0.0.1:70000/ws", "--jwt-secret", SECRET),
        ("--target", "70000", "port is out of range"),
    ),
    case("workers-not-a-number", ("run", "-n", "many"), ("--workers", "'many'")),
    case("reruns-negative", ("run", "--reruns", "-1"), ("--reruns -1", "0 or more")),
    case("max-duration-zero", ("run", "--max-duration", "0"), ("--max-duration 0", "positive")),
    case("suite-unknown", ("run", "--suite", "nosuch"), ("--suite 'nosuch'", "no such suite")),
    case("defect-unknown", ("run", "--defect", "nosuch"), ("unknown defect 'nosuch'",)),
    case(
        "defect-with-remote-target",
        ("run", "--target", "ws://127.0.0.1:9/ws", "--jwt-secret", SECRET, "--defect", "x"),
        ("--defect", "embedded"),
    ),
    case(
        "serve-with-embedded-target",
        ("run", "--serve", "srv --port {port}"),
        ("--serve: give --target ws://127.0.0.1:{port}/PATH",),
    ),
    case(
        "ready-line-without-serve",
        ("run", "--ready-line", "listening"),
        ("--ready-line applies only with --serve CMD",),
    ),
    case(
        "ready-url-not-http",
        ("run", "--serve", "srv", "--target", "ws://127.0.0.1:{port}/ws", "--ready-url", "ws://x"),
        ("--ready-url 'ws://x'", "http://"),
    ),
    case(
        "port-in-target-without-command",
        ("run", "--target", "ws://127.0.0.1:{port}/ws"),
        ("--target ws://127.0.0.1:{port}/ws", "--serve CMD or the policy's [serve]"),
    ),
    case(
        "policy-serve-without-command",
        ("run", "--target", "ws://127.0.0.1:{port}/ws", "--policy", "{dir}/p.toml"),
        ("p.toml: serve.command: is required",),
        {"p.toml": "[serve]\nready_line = 'up'\n"},
    ),
    case("policy-is-a-directory", ("run", "--policy", "{dir}"), ("cannot read the policy file",)),
    case(
        "policy-missing",
        ("run", "--policy", "{dir}/missing.toml"),
        ("missing.toml", "cannot read the policy file"),
    ),
    case(
        "policy-not-toml",
        ("run", "--policy", "{dir}/policy.toml"),
        ("policy.toml", "not valid TOML", "line 1"),
        {"policy.toml": "this is [not toml\n"},
    ),
    case(
        "waiver-impossible-date",
        ("run", "--policy", "{dir}/policy.toml"),
        ("policy.toml", "waivers[0].expires", "2026-02-30"),
        {"policy.toml": WAIVER + 'expires = "2026-02-30"\n'},
    ),
    case(
        "waiver-impossible-bare-date",
        ("run", "--policy", "{dir}/policy.toml"),
        ("policy.toml", "date", "line 6"),
        {"policy.toml": WAIVER + "expires = 2026-02-30\n"},
    ),
    case(
        "waiver-without-expiry",
        ("run", "--policy", "{dir}/policy.toml"),
        ("policy.toml", "waivers[0].expires", "required"),
        {"policy.toml": WAIVER},
    ),
    case(
        "converter-does-not-import",
        ("run", "--converter", "no_such_module_xyz:convert"),
        ("--converter", "no_such_module_xyz", "cannot import"),
    ),
    case(
        "converter-no-such-attribute",
        ("run", "--converter", "json:no_such_function"),
        ("--converter", "no_such_function"),
    ),
    case(
        "converter-not-callable",
        ("run", "--converter", "json:__doc__"),
        ("--converter", "json.__doc__", "not callable"),
    ),
    case(
        "converter-without-colon",
        ("run", "--converter", "json"),
        ("--converter 'json'", "MODULE:FUNCTION"),
    ),
    case("profile-unknown", ("run", "--profile", "nosuch"), ("--profile 'nosuch'",)),
    case(
        "profile-bad-key",
        ("run", "--profile", "{dir}/profile.toml"),
        ("profile.toml:5: client.type_fieldd", "unknown key"),
        {"profile.toml": '[profile]\nname = "bad"\n\n[client]\ntype_fieldd = "kind"\n'},
    ),
    case(
        "baseline-not-json",
        ("run", "--baseline", "{dir}/base.json"),
        ("base.json", "not valid JSON"),
        {"base.json": "not json at all\n"},
    ),
    case("fault-bad", ("run", "--fault", "bad"), ("--fault 'bad'", "KIND=VALUE")),
    case(
        "replay-capture-truncated",
        ("replay", "{dir}/capture.jsonl"),
        ("capture.jsonl:2:", "not a JSON line"),
        {"capture.jsonl": "TRUNCATED"},
    ),
    case(
        "capture-from-har-missing",
        ("capture", "from-har", "{dir}/missing.har", "--out", "{dir}/out.jsonl"),
        ("missing.har", "cannot read"),
    ),
    case(
        "profile-check-bad-file",
        ("profile", "check", "{dir}/profile.toml"),
        ("profile.toml:5: client.type_fieldd", "unknown key"),
        {"profile.toml": '[profile]\nname = "bad"\n\n[client]\ntype_fieldd = "kind"\n'},
    ),
]


def harness_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m harness ARGS` run in `folder` (so no history lands in the repository)."""
    command = [sys.executable, "-m", "harness", *args]
    if args[0] in ("run", "replay"):
        command += ["--out", str(folder / "out")]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        cwd=folder,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(("args", "expected", "files"), CASES)
def test_wrong_input_is_exit_4_with_one_line(
    tmp_path: Path, args: tuple[str, ...], expected: tuple[str, ...], files: dict[str, str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(truncated_capture() if text == "TRUNCATED" else text)
    done = harness_in(tmp_path, *(arg.replace("{dir}", str(tmp_path)) for arg in args))
    lines = done.stderr.splitlines()
    assert done.returncode == EXIT_USAGE, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("stability-harness: error: ")
    for fragment in expected:
        assert fragment in lines[0]
    assert not (tmp_path / "out" / "verdict.json").exists()


def test_an_expired_waiver_is_judged_not_a_usage_error(tmp_path: Path) -> None:
    # DESIGN.md: an expired waiver no longer covers a failure; it is a verdict matter (exit
    # 0 or 1 by the verdict), never a usage error. Its pattern matches nothing here.
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[waivers]]\npattern = "nothing::matches::this"\nreason = "r"\nowner = "o"\n'
        'ticket = "T-1"\nexpires = 2020-01-01\n'
    )
    done = harness_in(
        tmp_path, "run", "--suite", "staging_repro", "--policy", str(policy), "--quiet"
    )
    assert done.returncode in (0, 1), done.stderr
    assert (tmp_path / "out" / "verdict.json").exists()

"""The exit codes of `stability-harness` (README.md, "Exit codes"): one definition.

A run's code is its verdict's (``VerdictKind.exit_code``); every other command exits
`OK` when it did its job and `USAGE` for a bad option or file. verdict.json keeps the
code as a plain integer.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What the process's exit status says."""

    OK = 0  # APPROVED or APPROVED_WITH_CONDITIONS; a command that did its job
    NOT_APPROVED = 1  # the target misbehaved; `diff`: a test regressed
    INCOMPLETE = 2  # the harness could not judge everything it planned
    INTERNAL = 3  # the harness's own error: never a verdict
    USAGE = 4  # usage or configuration error (option, policy, profile, baseline, file)
    STOPPED_AT_ONCE = 130  # a second SIGINT/SIGTERM: the shell's code for an interrupt

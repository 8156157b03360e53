"""The commands of `stability-harness`, one module each (the table is `harness.cli.COMMANDS`).

A command module has `HELP` (its line in `stability-harness --help`),
`add_arguments(parser)` and `run(args) -> int` (the exit code). Its top level imports
nothing heavy: every invocation imports every command module to list them, and a
command imports what it needs when its parser is built (only the one invoked) or
when it runs.
"""

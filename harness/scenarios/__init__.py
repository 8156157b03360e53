"""User scenarios: conversations written as TOML files, their checks, and judging k of n
runs of one (docs/SCENARIOS.md)."""

"""One run: the target, preflight, the pytest phases, their plugin, results.jsonl, suites."""

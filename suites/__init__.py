"""The built-in suites of stability-harness, one sub-package each."""

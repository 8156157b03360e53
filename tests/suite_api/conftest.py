"""The example suite is a suite of its own: it runs through `stability-harness run`, not here."""

collect_ignore = ["example_suite"]

"""The rule catalogue: every normative statement of the protocol, as data (catalogue.toml).

Suites name the rules each test verifies with ``@pytest.mark.rules(ID, ...)``;
the verdict derives each rule's status from those tests.
"""

from __future__ import annotations

from harness.rules.catalogue import (
    CATALOGUE_FILE,
    RULE_ID,
    Catalogue,
    Rule,
    load_catalogue,
    parse_catalogue,
)

__all__ = ["CATALOGUE_FILE", "RULE_ID", "Catalogue", "Rule", "load_catalogue", "parse_catalogue"]

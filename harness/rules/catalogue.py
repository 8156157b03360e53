"""Loading and validating the rule catalogue (`catalogue.toml`, package data of `harness.rules`)."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from harness.errors import ConfigError

CATALOGUE_FILE: Final = "catalogue.toml"
RULE_ID: Final = re.compile(r"^[1-9]\.[a-z0-9-]+(\.[a-z0-9-]+)*$")


@dataclass(frozen=True, slots=True)
class Rule:
    """One normative statement: stable id, section, one line of text, capabilities it needs."""

    id: str
    section: int
    text: str
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """Every rule in catalogue order, the section titles and the capability vocabulary."""

    rules: tuple[Rule, ...]
    sections: Mapping[int, str]
    capabilities: Mapping[str, str]

    def __contains__(self, rule_id: object) -> bool:
        return any(rule.id == rule_id for rule in self.rules)

    @functools.cached_property
    def by_id(self) -> dict[str, Rule]:
        """The rules keyed by id."""
        return {rule.id: rule for rule in self.rules}


def parse_catalogue(text: str, source: str = CATALOGUE_FILE) -> Catalogue:
    """A catalogue from its TOML text; ConfigError naming the rule and key that is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    sections = _sections(data.get("sections"), source)
    capabilities = _capabilities(data.get("capabilities"), source)
    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError(f"{source}: no [[rule]] entries")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        rule = _rule(raw, f"{source}: rule[{index}]", sections, capabilities)
        if rule.id in seen:
            raise ConfigError(f"{source}: rule[{index}].id {rule.id!r} is not unique")
        seen.add(rule.id)
        rules.append(rule)
    return Catalogue(tuple(rules), sections, capabilities)


def _sections(raw: Any, source: str) -> dict[int, str]:
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{source}: [sections] is missing or empty")
    sections: dict[int, str] = {}
    for key, title in raw.items():
        if not key.isdigit() or not isinstance(title, str) or not title.strip():
            raise ConfigError(f"{source}: sections.{key}: expected a number and a title")
        sections[int(key)] = title
    return sections


def _capabilities(raw: Any, source: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [capabilities] is missing")
    for key, text in raw.items():
        if not isinstance(text, str):
            raise ConfigError(f"{source}: capabilities.{key}: expected a description")
    return dict(raw)


def _rule(raw: Any, where: str, sections: Mapping[int, str], known: Mapping[str, str]) -> Rule:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table")
    unknown = sorted(set(raw) - {"id", "section", "text", "capabilities"})
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        raise ConfigError(f"{where}.id {rule_id!r}: expected SECTION.topic.name, lowercase")
    section = raw.get("section")
    if not isinstance(section, int) or section not in sections:
        raise ConfigError(f"{where}.section {section!r} ({rule_id}): not a section of [sections]")
    if rule_id.split(".", 1)[0] != str(section):
        raise ConfigError(f"{where}.id {rule_id!r}: does not start with its section {section}")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip() or "\n" in text:
        raise ConfigError(f"{where}.text ({rule_id}): expected one non-empty line")
    caps = raw.get("capabilities", [])
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        raise ConfigError(f"{where}.capabilities ({rule_id}): expected a list of names")
    for cap in caps:
        if cap not in known:
            raise ConfigError(f"{where}.capabilities ({rule_id}): {cap!r} is not in [capabilities]")
    return Rule(rule_id, section, text.strip(), tuple(caps))


@functools.cache
def load_catalogue() -> Catalogue:
    """The built-in catalogue (read once per process)."""
    text = resources.files("harness.rules").joinpath(CATALOGUE_FILE).read_text("utf-8")
    return parse_catalogue(text)

"""The harness as a suite sees it: every name a suite imports, from this one module.

A suite (docs/WRITING_SUITES.md) imports from here, pytest and the standard library,
and nothing else of `harness`: the modules behind these names may move, these names
stay. The fixtures of the harness's pytest plugin are described by the types below
(`Connect`, `Metrics`, `Evidence`, `PrivateTarget`, `Converter`), so that a suite's
tests are checked by mypy against what the plugin gives them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

    from harness.errors import CapabilityMissing, CheckFailed, ConfigError, Deviation, HarnessError
    from harness.names import (
        AGENT_STARTED_LATENCY_MS,
        LIMITS,
        REPLAY_SUITE,
        STAGING_SUITE,
        TIMESTAMP_CONVERSION_US,
        TIMESTAMP_SUITE,
        TURN_FIRST_FRAME_MS,
        TURN_FIRST_TEXT_MS,
        TURN_LARGEST_GAP_MS,
        TURN_TERMINAL_MS,
    )
    from harness.replay.capture import load_capture
    from harness.replay.player import Player, ReplayOptions
    from harness.run.checks import Checks
    from harness.run.fixture_types import Connect, Converter, Evidence, Metrics, PrivateTarget
    from harness.run.plugin_hooks import known_cause
    from harness.run.process_usage import Usage
    from harness.run.process_usage import usage as process_usage
    from harness.run.shard import Shard, shard_of
    from harness.run.suite import CRITICALITIES, SuiteManifest
    from harness.scenarios.load import load_folders as load_scenario_folders
    from harness.scenarios.model import Scenario
    from harness.scenarios.play import Outcome as ScenarioOutcome
    from harness.scenarios.play import play as play_scenario
    from harness.scenarios.turn import Turn as ScenarioTurn
    from harness.verdict.records import Criticality
    from harness.wire import protocol
    from harness.wire.causes import SHORT_WITHIN_S, CauseWatch
    from harness.wire.client import ABSENT, DEFAULT_WITHIN, Client, User, close_text
    from harness.wire.connect import open_client
    from harness.wire.http import HttpClient, HttpReply
    from harness.wire.limits import skip_unverifiable_limit
    from harness.wire.microseconds import MICROS_PER_SECOND, decimal_text, to_microseconds
    from harness.wire.opener import ConnectRefused
    from harness.wire.pending import WELCOME_KEY, event_key, not_welcomed, reply_key
    from harness.wire.profile import Profile, load_profile
    from harness.wire.target import Target, UserFactory
    from harness.wire.tokens import subprotocol_for
    from harness.wire.transcript import Transcript
    from harness.wire.turn_driver import LEAK, TakenTurn, TurnDriver
    from harness.wire.turn_shape import TurnShape
    from harness.wire.turn_shape import shape_of as turn_shape
    from harness.wire.turn_shape import value_at as turn_value
    from harness.wire.turns import Turn, TurnReader, Violation

# Where each name lives: a name is imported when a suite first asks for it (PEP 562), so
# that a process that only reads a suite's MANIFEST (the runner, `suites list`) does not
# import pytest, the client and the replay player with it (about 0.2 s of CPU); mypy
# reads the imports above. "" for a module given whole.
_WHERE: dict[str, tuple[str, str]] = {
    "CapabilityMissing": ("harness.errors", "CapabilityMissing"),
    "CheckFailed": ("harness.errors", "CheckFailed"),
    "ConfigError": ("harness.errors", "ConfigError"),
    "Deviation": ("harness.errors", "Deviation"),
    "HarnessError": ("harness.errors", "HarnessError"),
    "AGENT_STARTED_LATENCY_MS": ("harness.names", "AGENT_STARTED_LATENCY_MS"),
    "LIMITS": ("harness.names", "LIMITS"),
    "REPLAY_SUITE": ("harness.names", "REPLAY_SUITE"),
    "STAGING_SUITE": ("harness.names", "STAGING_SUITE"),
    "TIMESTAMP_CONVERSION_US": ("harness.names", "TIMESTAMP_CONVERSION_US"),
    "TIMESTAMP_SUITE": ("harness.names", "TIMESTAMP_SUITE"),
    "TURN_FIRST_FRAME_MS": ("harness.names", "TURN_FIRST_FRAME_MS"),
    "TURN_FIRST_TEXT_MS": ("harness.names", "TURN_FIRST_TEXT_MS"),
    "TURN_LARGEST_GAP_MS": ("harness.names", "TURN_LARGEST_GAP_MS"),
    "TURN_TERMINAL_MS": ("harness.names", "TURN_TERMINAL_MS"),
    "load_capture": ("harness.replay.capture", "load_capture"),
    "Player": ("harness.replay.player", "Player"),
    "ReplayOptions": ("harness.replay.player", "ReplayOptions"),
    "Checks": ("harness.run.checks", "Checks"),
    "Connect": ("harness.run.fixture_types", "Connect"),
    "Converter": ("harness.run.fixture_types", "Converter"),
    "Evidence": ("harness.run.fixture_types", "Evidence"),
    "Metrics": ("harness.run.fixture_types", "Metrics"),
    "PrivateTarget": ("harness.run.fixture_types", "PrivateTarget"),
    "known_cause": ("harness.run.plugin_hooks", "known_cause"),
    "Usage": ("harness.run.process_usage", "Usage"),
    "process_usage": ("harness.run.process_usage", "usage"),
    "Shard": ("harness.run.shard", "Shard"),
    "shard_of": ("harness.run.shard", "shard_of"),
    "CRITICALITIES": ("harness.run.suite", "CRITICALITIES"),
    "SuiteManifest": ("harness.run.suite", "SuiteManifest"),
    "load_scenario_folders": ("harness.scenarios.load", "load_folders"),
    "Scenario": ("harness.scenarios.model", "Scenario"),
    "ScenarioOutcome": ("harness.scenarios.play", "Outcome"),
    "play_scenario": ("harness.scenarios.play", "play"),
    "ScenarioTurn": ("harness.scenarios.turn", "Turn"),
    "Criticality": ("harness.verdict.records", "Criticality"),
    "protocol": ("harness.wire.protocol", ""),
    "SHORT_WITHIN_S": ("harness.wire.causes", "SHORT_WITHIN_S"),
    "CauseWatch": ("harness.wire.causes", "CauseWatch"),
    "ABSENT": ("harness.wire.client", "ABSENT"),
    "DEFAULT_WITHIN": ("harness.wire.client", "DEFAULT_WITHIN"),
    "Client": ("harness.wire.client", "Client"),
    "User": ("harness.wire.client", "User"),
    "close_text": ("harness.wire.client", "close_text"),
    "open_client": ("harness.wire.connect", "open_client"),
    "HttpClient": ("harness.wire.http", "HttpClient"),
    "HttpReply": ("harness.wire.http", "HttpReply"),
    "skip_unverifiable_limit": ("harness.wire.limits", "skip_unverifiable_limit"),
    "MICROS_PER_SECOND": ("harness.wire.microseconds", "MICROS_PER_SECOND"),
    "decimal_text": ("harness.wire.microseconds", "decimal_text"),
    "to_microseconds": ("harness.wire.microseconds", "to_microseconds"),
    "ConnectRefused": ("harness.wire.opener", "ConnectRefused"),
    "WELCOME_KEY": ("harness.wire.pending", "WELCOME_KEY"),
    "event_key": ("harness.wire.pending", "event_key"),
    "not_welcomed": ("harness.wire.pending", "not_welcomed"),
    "reply_key": ("harness.wire.pending", "reply_key"),
    "Profile": ("harness.wire.profile", "Profile"),
    "load_profile": ("harness.wire.profile", "load_profile"),
    "Target": ("harness.wire.target", "Target"),
    "UserFactory": ("harness.wire.target", "UserFactory"),
    "subprotocol_for": ("harness.wire.tokens", "subprotocol_for"),
    "Transcript": ("harness.wire.transcript", "Transcript"),
    "LEAK": ("harness.wire.turn_driver", "LEAK"),
    "TakenTurn": ("harness.wire.turn_driver", "TakenTurn"),
    "TurnDriver": ("harness.wire.turn_driver", "TurnDriver"),
    "TurnShape": ("harness.wire.turn_shape", "TurnShape"),
    "turn_shape": ("harness.wire.turn_shape", "shape_of"),
    "turn_value": ("harness.wire.turn_shape", "value_at"),
    "Turn": ("harness.wire.turns", "Turn"),
    "TurnReader": ("harness.wire.turns", "TurnReader"),
    "Violation": ("harness.wire.turns", "Violation"),
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(where[0])
    value = getattr(module, where[1]) if where[1] else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ABSENT",
    "AGENT_STARTED_LATENCY_MS",
    "CRITICALITIES",
    "DEFAULT_WITHIN",
    "LEAK",
    "LIMITS",
    "MICROS_PER_SECOND",
    "REPLAY_SUITE",
    "SHORT_WITHIN_S",
    "STAGING_SUITE",
    "TIMESTAMP_CONVERSION_US",
    "TIMESTAMP_SUITE",
    "TURN_FIRST_FRAME_MS",
    "TURN_FIRST_TEXT_MS",
    "TURN_LARGEST_GAP_MS",
    "TURN_TERMINAL_MS",
    "WELCOME_KEY",
    "CapabilityMissing",
    "CauseWatch",
    "CheckFailed",
    "Checks",
    "Client",
    "ConfigError",
    "Connect",
    "ConnectRefused",
    "Converter",
    "Criticality",
    "Deviation",
    "Evidence",
    "HarnessError",
    "HttpClient",
    "HttpReply",
    "Metrics",
    "Player",
    "PrivateTarget",
    "Profile",
    "ReplayOptions",
    "Scenario",
    "ScenarioOutcome",
    "ScenarioTurn",
    "Shard",
    "SuiteManifest",
    "TakenTurn",
    "Target",
    "Transcript",
    "Turn",
    "TurnDriver",
    "TurnReader",
    "TurnShape",
    "Usage",
    "User",
    "UserFactory",
    "Violation",
    "close_text",
    "decimal_text",
    "event_key",
    "known_cause",
    "load_capture",
    "load_profile",
    "load_scenario_folders",
    "needs",
    "not_welcomed",
    "open_client",
    "play_scenario",
    "premise",
    "process_usage",
    "protocol",
    "reply_key",
    "rules",
    "shard_of",
    "skip_unverifiable_limit",
    "subprotocol_for",
    "to_microseconds",
    "turn_shape",
    "turn_value",
]


def rules(*ids: str) -> pytest.MarkDecorator:
    """The rules of the catalogue a test verifies (`@pytest.mark.rules(...)`, typed).

    A test names a rule only when it contains the check that fails if a server
    breaks that rule; a name outside the catalogue stops collection.
    """
    import pytest

    return pytest.mark.rules(*ids)


def premise(*ids: str) -> pytest.MarkDecorator:
    """Rules a test verifies and cannot check anything without (`@pytest.mark.premise`).

    When the target's profile lacks a capability one of them needs, the whole test is
    left out and every rule it names is `not_applicable` for it; otherwise a rule whose
    capability is lacking leaves out only its own checks (`checks.applies`).
    """
    import pytest

    return pytest.mark.premise(*ids)


def needs(*capabilities: str) -> pytest.MarkDecorator:
    """Capabilities of the rule catalogue a test checks nothing without
    (`@pytest.mark.needs`): `needs("scripted_agent")` for a test that drives the scripted
    agent's known answers (a calculator call, a failing run). When the target's profile
    lacks one, the whole test is left out and every rule it names is `not_applicable` for
    it, with the reason."""
    import pytest

    return pytest.mark.needs(*capabilities)

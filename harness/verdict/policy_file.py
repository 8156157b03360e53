"""Reading a policy: a TOML file (``--policy FILE``) or the built-in
``harness/verdict/default_policy.toml``. This is a trust boundary: every key is
checked, and a bad file raises ``ConfigError`` with one line naming the file, the
dotted key and what is wrong. docs/POLICY.md is the reference.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import ConfigError
from harness.names import LIMITS
from harness.rules import load_catalogue
from harness.verdict.policy import (
    DEFAULT_SOURCE,
    Approval,
    Budget,
    FlakyAction,
    LoadPlan,
    Policy,
    ServePlan,
    Statistic,
    Waiver,
)
from harness.verdict.records import Criticality

_E = TypeVar("_E", bound=enum.Enum)
SCENARIOS = "scenarios"  # the suite of [scenarios]


def load_policy(path: Path | None) -> Policy:
    """Return the policy in the TOML file at ``path``, or the built-in default for None."""
    if path is None:
        text = resources.files("harness.verdict").joinpath("default_policy.toml").read_text("utf-8")
        return parse_policy(text, DEFAULT_SOURCE)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the policy file: {exc}") from None
    return parse_policy(text, str(path))


def parse_policy(text: str, source: str) -> Policy:
    """Return the policy in TOML ``text``; ``source`` names the file in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    return _Reader(source).policy(data)


class _Reader:
    """Validates the parsed TOML of one policy file, naming the file and key in errors."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, what: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key}: {what}")

    def policy(self, data: dict[str, Any]) -> Policy:
        keys = {"criticality", "waivers", "budgets", "flaky", "reruns", "report", "limits"}
        self.known(
            data, "", keys | {"replays", "require", "baseline", "load", "scenarios"} | {"serve"}
        )
        baseline = self.table(data, "baseline")
        self.known(baseline, "baseline.", {"alpha", "min_effect", "block"})
        alpha = baseline.get("alpha", 0.01)
        if not _is_number(alpha) or not 0 < alpha < 1:
            raise self.fail("baseline.alpha", f"must be a number between 0 and 1, got {alpha!r}")
        min_effect = baseline.get("min_effect", 0.10)
        if not _is_number(min_effect) or min_effect < 0:
            raise self.fail("baseline.min_effect", f"must be a number >= 0, got {min_effect!r}")
        block = baseline.get("block", False)
        if not isinstance(block, bool):
            raise self.fail("baseline.block", f"must be true or false, got {block!r}")
        replays = self.table(data, "replays")
        self.known(replays, "replays.", {"paths"})
        require = self.table(data, "require")
        self.known(require, "require.", {"capabilities"})
        report = self.table(data, "report")
        self.known(report, "report.", {"rollback_plan", "success_indicators"})
        limits = self.table(data, "limits")
        self.known(limits, "limits.", {"may_skip"})
        reruns = data.get("reruns", 0)
        if not _is_int(reruns) or reruns < 0:
            raise self.fail("reruns", f"must be a whole number >= 0, got {reruns!r}")
        criticality, approvals = self.criticality(self.table(data, "criticality"))
        scenarios = self.table(data, "scenarios")
        self.known(scenarios, "scenarios.", {"folders", "criticality"})
        if "criticality" in scenarios:
            if SCENARIOS in criticality:
                raise self.fail("scenarios.criticality", f"also given as criticality.{SCENARIOS}")
            level, approval = self.criticality(
                {"criticality": scenarios["criticality"]}, "scenarios."
            )
            criticality[SCENARIOS] = level["criticality"]
            if "criticality" in approval:
                approvals[SCENARIOS] = approval["criticality"]
        return Policy(
            source=self.source,
            criticality=criticality,
            approvals=approvals,
            limits_may_skip=self.limits(limits),
            replay_paths=self.texts(replays, "paths", "replays."),
            scenario_folders=self.texts(scenarios, "folders", "scenarios."),
            required_capabilities=self.capabilities(require),
            baseline_alpha=float(alpha),
            baseline_min_effect=float(min_effect),
            baseline_block=block,
            load=self.load(self.table(data, "load")),
            serve=self.serve(self.table(data, "serve")) if "serve" in data else None,
            waivers=tuple(
                self.waiver(item, f"waivers[{i}]")
                for i, item in enumerate(self.array(data, "waivers", ""))
            ),
            budgets=tuple(
                self.budget(item, f"budgets[{i}]")
                for i, item in enumerate(self.array(data, "budgets", ""))
            ),
            flaky=self.flaky(self.table(data, "flaky")),
            reruns=reruns,
            rollback_plan=self.texts(report, "rollback_plan", "report."),
            success_indicators=self.texts(report, "success_indicators", "report."),
        )

    def load(self, data: Mapping[str, Any]) -> LoadPlan:
        self.known(data, "load.", {"users", "conversations", "ramp", "soak"})
        default = LoadPlan()
        users = data.get("users", default.users)
        conversations = data.get("conversations", default.conversations)
        for key, value in (("users", users), ("conversations", conversations)):
            if not _is_int(value) or value < 1:
                raise self.fail(f"load.{key}", f"must be a whole number >= 1, got {value!r}")
        ramp = data.get("ramp", default.ramp_s)
        soak = data.get("soak", default.soak_s)
        for key, value in (("ramp", ramp), ("soak", soak)):
            if not _is_number(value) or value < 0:
                raise self.fail(f"load.{key}", f"must be a number of seconds >= 0, got {value!r}")
        return LoadPlan(users, conversations, float(ramp), float(soak))

    def serve(self, data: Mapping[str, Any]) -> ServePlan:
        keys = {"command", "ready_url", "ready_line", "timeout_s", "stop_timeout_s", "env"}
        self.known(data, "serve.", keys)
        command = self.string(data, "command", "serve", required=True)
        ready_url = self.string(data, "ready_url", "serve", required=False)
        ready_line = self.string(data, "ready_line", "serve", required=False)
        if ready_url is not None and not ready_url.startswith(("http://", "https://")):
            raise self.fail("serve.ready_url", f"must be an http:// URL, got {ready_url!r}")
        if ready_line is not None:
            try:
                re.compile(ready_line)
            except re.error as exc:
                raise self.fail(
                    "serve.ready_line", f"not a valid regular expression: {exc}"
                ) from None
        default = ServePlan(command)
        seconds = {}
        for key, value in (
            ("timeout_s", data.get("timeout_s", default.timeout_s)),
            ("stop_timeout_s", data.get("stop_timeout_s", default.stop_timeout_s)),
        ):
            if not _is_number(value) or not 0 < value < float("inf"):
                raise self.fail(f"serve.{key}", f"must be a number of seconds > 0, got {value!r}")
            seconds[key] = float(value)
        env = data.get("env", {})
        if not isinstance(env, dict):
            raise self.fail("serve.env", f"must be a table, got {_kind(env)}")
        for name, value in env.items():
            if not isinstance(value, str):
                raise self.fail(f"serve.env.{name}", f"must be a string, got {_kind(value)}")
        return ServePlan(command, ready_url, ready_line, env=dict(env), **seconds)

    def known(self, data: Mapping[str, Any], prefix: str, keys: set[str]) -> None:
        for key in data:
            if key not in keys:
                allowed = ", ".join(sorted(keys))
                raise self.fail(f"{prefix}{key}", f"unknown key (allowed: {allowed})")

    def table(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, got {_kind(value)}")
        return value

    def array(self, data: Mapping[str, Any], key: str, prefix: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{prefix}{key}", f"must be an array, got {_kind(value)}")
        return value

    def texts(self, data: Mapping[str, Any], key: str, prefix: str) -> tuple[str, ...]:
        items = self.array(data, key, prefix)
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{prefix}{key}[{i}]", "must be a non-empty string")
        return tuple(items)

    def criticality(
        self, data: Mapping[str, Any], prefix: str = "criticality."
    ) -> tuple[dict[str, Criticality], dict[str, Approval]]:
        levels: dict[str, Criticality] = {}
        approvals: dict[str, Approval] = {}
        for name, value in data.items():
            key = f"{prefix}{name}"
            if not isinstance(value, dict):
                levels[name] = self.choice(Criticality, value, key)
                continue
            item = self.entry(value, key, {"level", "approver", "reason"})
            if "level" not in item:
                raise self.fail(f"{key}.level", "is required")
            levels[name] = self.choice(Criticality, item["level"], f"{key}.level")
            approver = self.string(item, "approver", key, required=False)
            reason = self.string(item, "reason", key, required=False)
            if (approver is None) != (reason is None):
                missing, given = (
                    ("reason", "approver") if reason is None else ("approver", "reason")
                )
                raise self.fail(f"{key}.{missing}", f"is required when {given} is given")
            if approver is not None:
                approvals[name] = Approval(approver, reason)
        return levels, approvals

    def limits(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        names = self.texts(data, "may_skip", "limits.")
        for i, name in enumerate(names):
            if name not in LIMITS:
                raise self.fail(
                    f"limits.may_skip[{i}]", f"must be one of {', '.join(LIMITS)}, got {name!r}"
                )
        return names

    def capabilities(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        known = load_catalogue().capabilities
        names = self.texts(data, "capabilities", "require.")
        for i, name in enumerate(names):
            if name not in known:
                raise self.fail(
                    f"require.capabilities[{i}]",
                    f"{name!r} is not a capability (known: {', '.join(sorted(known))})",
                )
        return names

    def flaky(self, data: Mapping[str, Any]) -> dict[Criticality, FlakyAction]:
        self.known(data, "flaky.", {c.value for c in Criticality})
        return {
            Criticality(name): self.choice(FlakyAction, value, f"flaky.{name}")
            for name, value in data.items()
        }

    def choice(self, kind: type[_E], value: Any, key: str) -> _E:
        names = ", ".join(str(member.value) for member in kind)
        try:
            return kind(value)
        except ValueError:
            raise self.fail(key, f"must be one of {names}, got {value!r}") from None

    def string(self, item: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> Any:
        if key not in item:
            if required:
                raise self.fail(f"{prefix}.{key}", "is required")
            return None
        value = item[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{prefix}.{key}", f"must be a non-empty string, got {value!r}")
        return value

    def entry(self, item: Any, prefix: str, keys: set[str]) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise self.fail(prefix, f"must be a table, got {_kind(item)}")
        self.known(item, f"{prefix}.", keys)
        return item

    def waiver(self, raw: Any, prefix: str) -> Waiver:
        keys = {"pattern", "reason", "owner", "ticket", "expires", "approver"}
        item = self.entry(raw, prefix, keys)
        return Waiver(
            pattern=self.string(item, "pattern", prefix, required=True),
            reason=self.string(item, "reason", prefix, required=True),
            owner=self.string(item, "owner", prefix, required=True),
            ticket=self.string(item, "ticket", prefix, required=True),
            expires=self.date(item, "expires", prefix),
            approver=self.string(item, "approver", prefix, required=False),
        )

    def date(self, item: Mapping[str, Any], key: str, prefix: str) -> dt.date:
        if key not in item:
            raise self.fail(f"{prefix}.{key}", "is required")
        value = item[key]
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        elif isinstance(value, dt.datetime):
            raise self.fail(
                f"{prefix}.{key}", "must be a date like 2026-12-31, without a time of day"
            )
        elif isinstance(value, dt.date):
            return value
        raise self.fail(f"{prefix}.{key}", f"must be a date like 2026-12-31, got {value!r}")

    def budget(self, raw: Any, prefix: str) -> Budget:
        keys = {"metric", "statistic", "limit", "unit", "min_samples", "required", "suite"}
        item = self.entry(raw, prefix, keys)
        for key in ("statistic", "limit"):
            if key not in item:
                raise self.fail(f"{prefix}.{key}", "is required")
        limit: Any = item["limit"]
        if not _is_number(limit) or limit < 0:
            raise self.fail(f"{prefix}.limit", f"must be a number >= 0, got {limit!r}")
        min_samples = item.get("min_samples", 1)
        if not _is_int(min_samples) or min_samples < 1:
            raise self.fail(
                f"{prefix}.min_samples", f"must be a whole number >= 1, got {min_samples!r}"
            )
        required = item.get("required", True)
        if not isinstance(required, bool):
            raise self.fail(f"{prefix}.required", f"must be true or false, got {required!r}")
        return Budget(
            metric=self.string(item, "metric", prefix, required=True),
            statistic=self.choice(Statistic, item["statistic"], f"{prefix}.statistic"),
            limit=float(limit),
            unit=self.string(item, "unit", prefix, required=True),
            min_samples=min_samples,
            required=required,
            suite=self.string(item, "suite", prefix, required=False),
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _kind(value: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )

"""The harness's pytest plugin (entry point `pytest11: harness`): idle until asked for.

pytest loads this module into every session of an environment where stability-harness
is installed. In a session that does not ask for the harness it adds its options, all
named `--harness-*` (group `stability-harness`, so that they clash with no project's
own), and nothing else: no hook, fixture or marker of the harness exists there, and
nothing of the harness beyond this module and its options is imported.

A session asks for the harness when

- it is given a `--harness-*` option (`--harness` alone asks and sets nothing else), or
- one of its arguments names an installed suite (entry points `stability_harness.suites`):
  a path inside a suite's package folder or above it, or with `--pyargs` the suite's
  module, a module inside it, or a package above it.

Then it registers the hooks (harness.run.plugin_hooks) and the fixtures
(harness.run.plugin_fixtures) for that session. `-p no:harness` removes even the options.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from harness.run.pytest_options import add_options
from harness.run.suite import ENTRY_POINT_GROUP

# The plugin's options and their defaults (dest -> default), filled by pytest_addoption.
_DEFAULTS: dict[str, object] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    _DEFAULTS.update(add_options(parser))


def pytest_configure(config: pytest.Config) -> None:
    if not asked_for(config):
        return
    from harness.run import plugin_fixtures, plugin_hooks, plugin_memory

    # Registered here, pytest calls their own pytest_configure at once (a historic hook).
    config.pluginmanager.register(plugin_hooks, "harness-hooks")
    config.pluginmanager.register(plugin_fixtures, "harness-fixtures")
    config.pluginmanager.register(plugin_memory, "harness-memory")


def asked_for(config: pytest.Config) -> bool:
    """Return whether this session asks for the harness (see the module's docstring)."""
    if any(config.getoption(dest, default) != default for dest, default in _DEFAULTS.items()):
        return True
    given = [str(arg) for arg in config.invocation_params.args]
    if any(arg == "--harness" or arg.startswith("--harness-") for arg in given):
        return True  # a --harness-* option given its default value
    args = [str(arg).split("::", 1)[0] for arg in config.args]
    if not args:
        return False
    modules = [str(ep.value).split(":", 1)[0] for ep in entry_points(group=ENTRY_POINT_GROUP)]
    if config.getoption("pyargs", False) and any(
        _related(arg.split("."), module.split(".")) for arg in args for module in modules
    ):
        return True
    base = config.invocation_params.dir
    paths = [(base / arg).resolve() for arg in args]
    for module in modules:
        folder = _package_folder(module)
        if folder is not None and any(
            path == folder or folder in path.parents or path in folder.parents for path in paths
        ):
            return True
    return False


def _related(one: list[str], other: list[str]) -> bool:
    """Return whether one dotted name is the other or lies inside it (either way)."""
    shorter = min(len(one), len(other))
    return one[:shorter] == other[:shorter]


def _package_folder(module: str) -> Path | None:
    """The folder of package `module`, found without importing anything (None if not found)."""
    first, *rest = module.split(".")
    try:
        spec = importlib.util.find_spec(first)  # a top-level name is found, not imported
        for depth in range(len(rest)):
            if spec is None or not spec.submodule_search_locations:
                return None
            name = ".".join([first, *rest[: depth + 1]])
            spec = importlib.machinery.PathFinder.find_spec(
                name, list(spec.submodule_search_locations)
            )
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()

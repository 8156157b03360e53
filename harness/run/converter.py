"""The timestamp converter under test, named `MODULE:FUNCTION` on the command line."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from harness.errors import ConfigError


def load_converter(spec: str) -> Callable[[object], object]:
    """The callable `spec` names; ConfigError naming the value and what is wrong with it."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"--converter {spec!r}: expected MODULE:FUNCTION")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any failure while importing user code is the value's fault
        raise ConfigError(
            f"--converter {spec!r}: cannot import {module_name}: {type(exc).__name__}: {exc}"
        ) from None
    try:
        func = getattr(module, attr)
    except AttributeError:
        raise ConfigError(f"--converter {spec!r}: {module_name} has no attribute {attr}") from None
    if not callable(func):
        raise ConfigError(
            f"--converter {spec!r}: {module_name}.{attr} is a {type(func).__name__}, not callable"
        )
    return cast(Callable[[object], object], func)

"""Without a scenario folder the suite plans nothing: the test that an empty set of
scenarios leaves behind is deselected, not skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.suite_api import Scenario

HERE = Path(__file__).resolve().parent


def _idle(item: pytest.Item) -> bool:
    """An item of this suite without a scenario (pytest's empty parameter set)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    return item.path.resolve().parent == HERE and not isinstance(params.get("scenario"), Scenario)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    idle = [item for item in items if _idle(item)]
    if idle:
        config.hook.pytest_deselected(items=idle)
        items[:] = [item for item in items if not _idle(item)]

"""Time per call of the timestamp normaliser, beside bare datetime.fromisoformat in the same run.

python -m pytest benchmarks/bench_timestamps.py --benchmark-only -p no:xdist -p no:cacheprovider \
    --benchmark-min-time=0.0001 --benchmark-columns=min,median,mean,iqr,rounds,iterations
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from harness.reference.timestamps import (
    ACCELERATED,
    normalise_timestamp,
    python_normalise_timestamp,
)

ISO_WITH_ZONE = "2025-09-08T16:50:01.447585-05:00"
ISO_WITH_Z = "2025-09-08T16:50:01.447585Z"
ISO_WITHOUT_ZONE = "2025-09-08T16:50:01.447585"

# (input, normalised value: a literal from PROTOCOL.md section 5)
NORMALISER_CASES = [
    pytest.param(ISO_WITH_ZONE, 1757368201.447585, id="iso-offset"),
    pytest.param(ISO_WITH_Z, 1757350201.447585, id="iso-Z"),
    pytest.param(ISO_WITHOUT_ZONE, 1757350201.447585, id="iso-zoneless"),
    pytest.param(1757350201.447585, 1757350201.447585, id="float"),
    pytest.param("1757350201.447585", 1757350201.447585, id="numeric-string"),
]
ISO_STRINGS = [
    pytest.param(ISO_WITH_ZONE, id="iso-offset"),
    pytest.param(ISO_WITH_Z, id="iso-Z"),
    pytest.param(ISO_WITHOUT_ZONE, id="iso-zoneless"),
]


@pytest.mark.parametrize(("value", "expected"), NORMALISER_CASES)
def test_normalise_timestamp(benchmark: Any, value: object, expected: float) -> None:
    """normalise_timestamp: full validation and conversion to epoch seconds."""
    benchmark.group = "timestamp normaliser"
    assert ACCELERATED, "the C fast path was not built: this would time the Python path"
    assert benchmark(normalise_timestamp, value) == expected


@pytest.mark.parametrize(("value", "expected"), NORMALISER_CASES)
def test_python_normalise_timestamp(benchmark: Any, value: object, expected: float) -> None:
    """The pure-Python path alone (what a build without a C compiler runs)."""
    benchmark.group = "timestamp normaliser"
    assert benchmark(python_normalise_timestamp, value) == expected


@pytest.mark.parametrize("text", ISO_STRINGS)
def test_bare_fromisoformat(benchmark: Any, text: str) -> None:
    """datetime.fromisoformat alone: parsing only, no validation, no epoch seconds."""
    benchmark.group = "timestamp normaliser"
    assert isinstance(benchmark(datetime.fromisoformat, text), datetime)


EPOCH = datetime(1970, 1, 1)


def test_fromisoformat_to_epoch_seconds(benchmark: Any) -> None:
    """fromisoformat plus the epoch-seconds arithmetic the normaliser does, without validation."""
    benchmark.group = "timestamp normaliser"

    def convert(text: str) -> float:
        return (datetime.fromisoformat(text) - EPOCH).total_seconds()

    assert benchmark(convert, ISO_WITHOUT_ZONE) == 1757350201.447585

"""The timestamp corpus of PROTOCOL.md section 5: JSON texts and their literal normalised values.

Each timestamp is written as the JSON text a client puts on the wire, so that numbers
with exponents, booleans, arrays and objects are sent exactly as written. Expected
values are worked out by hand from the section's rules (UTC calendar arithmetic),
never produced by the code under test.
"""

from __future__ import annotations

from typing import Final

import pytest

# The staging outage's timestamp: zone-less, so UTC.
STAGING_ISO: Final = "2025-09-08T16:50:01.447585"
STAGING_EPOCH: Final = 1757350201.447585

# (timestamp JSON text, normalised value); None: sent absent, or JSON null.
ABSENT_OR_NULL: Final = (
    pytest.param(None, None, id="absent"),
    pytest.param("null", None, id="json-null"),
)

ACCEPTED: Final = (
    pytest.param("1693567801.447585", 1693567801.447585, id="number-float"),
    pytest.param("1757350201", 1757350201.0, id="number-integer"),
    pytest.param("0", 0.0, id="number-zero-lower-bound"),
    pytest.param("1.757350201447585e9", 1757350201.447585, id="number-with-exponent"),
    pytest.param("4102444799.999999", 4102444799.999999, id="number-upper-bound"),
    pytest.param('"1693567801.447585"', 1693567801.447585, id="decimal-string"),
    pytest.param('"1757350201.123456789"', 1757350201.123456789, id="decimal-string-9-digits"),
    pytest.param(f'"{STAGING_ISO}"', STAGING_EPOCH, id="iso-zoneless-staging-is-utc"),
    pytest.param('"2025-09-08T16:50:01.447585Z"', 1757350201.447585, id="iso-zone-Z"),
    pytest.param('"2025-09-08t16:50:01.447585z"', 1757350201.447585, id="iso-lowercase-t-and-z"),
    pytest.param('"2025-09-08 16:50:01.447585"', 1757350201.447585, id="iso-space-separator"),
    pytest.param('"2025-09-08T16:50:01.447585-05:00"', 1757368201.447585, id="iso-offset-minus"),
    pytest.param('"2025-09-08T16:50:01.447585+05:30"', 1757330401.447585, id="iso-offset-plus"),
    pytest.param('"2025-09-08T16:50:01+23:59"', 1757263861.0, id="iso-max-offset-no-fraction"),
    pytest.param('"2025-09-08T16:50:01.123456789Z"', 1757350201.123456, id="iso-9-digit-fraction"),
    pytest.param('"2024-02-29T12:00:00Z"', 1709208000.0, id="iso-leap-day"),
    pytest.param('"2099-12-31T23:59:59.999999Z"', 4102444799.999999, id="iso-upper-bound"),
)

# (frame type, timestamp JSON text, normalised value): the timestamp of agent requests.
ACCEPTED_IN_AGENT_REQUESTS: Final = (
    pytest.param("user_message", f'"{STAGING_ISO}"', STAGING_EPOCH, id="user_message-iso-zoneless"),
    pytest.param(
        "start_agent",
        '"2025-09-08T16:50:01.447585-05:00"',
        1757368201.447585,
        id="start_agent-iso-offset",
    ),
)

REJECTED: Final = (
    pytest.param("true", id="boolean"),
    pytest.param("[1757350201]", id="array"),
    pytest.param('{"epoch": 1757350201}', id="object"),
    pytest.param('""', id="empty-string"),
    pytest.param('" 2025-09-08T16:50:01Z"', id="whitespace-padded"),
    pytest.param('"NaN"', id="nan-string"),
    pytest.param('"-infinity"', id="infinity-string"),
    pytest.param('"1.757350201e9"', id="exponent-in-string"),
    pytest.param('"1_757_350_201"', id="underscores"),
    pytest.param("-1", id="negative-number"),
    pytest.param("4102444800", id="year-2100-number"),
    pytest.param("1757350201447", id="millisecond-epoch"),
    pytest.param('"2100-01-01T00:00:00Z"', id="year-2100-iso"),
    pytest.param('"2025-09-08"', id="date-only"),
    pytest.param('"2025-W37-1T16:50:01Z"', id="week-date"),
    pytest.param('"2025-251T16:50:01Z"', id="ordinal-date"),
    pytest.param('"20250908T165001Z"', id="basic-format"),
    pytest.param('"2025-09-08T16:50:01,447585Z"', id="comma-decimal"),
    pytest.param('"2025-13-45T99:99:99"', id="fields-out-of-range"),
    pytest.param('"2025-09-08T24:00:00Z"', id="hour-24"),
    pytest.param('"2025-02-29T16:50:01Z"', id="february-29-non-leap-year"),
    pytest.param('"2025-09-08T16:50:01+24:00"', id="offset-beyond-23-59"),
)

# (frame type, timestamp JSON text): rejected timestamps on frames that would start a run.
REJECTED_IN_AGENT_REQUESTS: Final = (
    pytest.param("user_message", '"2025-09-08T16:50:60Z"', id="user_message-second-60"),
    pytest.param("start_agent", '"1757350201,447585"', id="start_agent-comma-decimal-epoch"),
)

# The content of agent requests: one calculator call, so the run is short.
AGENT_CONTENT: Final = "What is 2+3?"
AGENT_PAYLOAD_KEY: Final = {"user_message": "content", "start_agent": "user_request"}

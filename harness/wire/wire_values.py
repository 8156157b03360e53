"""Reading and writing the values of a dialect's wire frames: timestamps in each declared
format and declared constants, and the DecodeError that names the rule of the dialect's
statements (catalogue section 9) a frame breaks."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any, Final

from harness.wire import protocol as P
from harness.wire.profile import ABSENT

_ISO: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$"
)
_ISO_UTC_US: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# The rules of a dialect's own statements a DecodeError names.
TIMESTAMP_FORMAT_RULE: Final = "9.dialect.timestamp-format"
FRAME_FIELDS_RULE: Final = "9.dialect.frame-fields"
CONSTANT_FIELDS_RULE: Final = "9.dialect.constant-fields"
ERROR_CODES_RULE: Final = "9.dialect.error-codes"


class DecodeError(ValueError):
    """A wire frame the profile cannot read: what is wrong, the raw frame, and the rule of
    the dialect's statements it breaks."""

    def __init__(self, reason: str, raw: Mapping[str, Any], rule: str = FRAME_FIELDS_RULE) -> None:
        self.reason = reason
        self.raw = dict(raw)
        self.rule = rule
        super().__init__(reason)


def parse_iso(text: str) -> float:
    """Epoch seconds of an ISO 8601 date-time (zone-less is UTC), exact to the microsecond."""
    if not _ISO.match(text):
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    body = text.replace("t", "T").replace(" ", "T").replace("z", "Z")
    fraction = re.search(r"\.(\d+)", body)
    if fraction is not None and len(fraction.group(1)) > 6:  # beyond microseconds: truncated
        body = body.replace(fraction.group(0), "." + fraction.group(1)[:6])
    moment = dt.datetime.fromisoformat(body)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return micros / 1_000_000


def format_iso(seconds: float) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffff+00:00` of epoch seconds (UTC, six fraction digits)."""
    micros = round(seconds * 1_000_000)
    moment = _EPOCH + dt.timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


def write_timestamp(value: Any, form: str) -> Any:
    """The wire form of epoch seconds in a declared format (anything else unchanged)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if form in P.ISO_FORMATS:
        return format_iso(float(value))
    if form == "epoch_ms":
        return round(value * 1000, 3)
    return value


def read_timestamp(value: Any, form: str, path: str, wire: Mapping[str, Any]) -> Any:
    """Epoch seconds of a wire timestamp in its declared format (null stays None);
    DecodeError naming 9.dialect.timestamp-format when it is not in that format."""
    if value is None:
        return None
    rule = TIMESTAMP_FORMAT_RULE
    if form in P.ISO_FORMATS:
        if not isinstance(value, str):
            raise DecodeError(f"{path}: expected an ISO 8601 string, got {value!r}", wire, rule)
        if form == "iso8601_utc_us" and not _ISO_UTC_US.match(value):
            raise DecodeError(
                f"{path}: {value!r} is not written YYYY-MM-DDTHH:MM:SS.ffffff+00:00", wire, rule
            )
        try:
            return parse_iso(value)
        except ValueError as exc:
            raise DecodeError(f"{path}: {exc}", wire, rule) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DecodeError(
            f"{path}: expected epoch {form[6:]} as a number, got {value!r}", wire, rule
        )
    return value / 1000 if form == "epoch_ms" else value


def constant_holds(declared: Any, found: Any) -> bool:
    """Whether a wire value is the declared constant: `{}` and `[]` fix only the kind (an
    object, a list); any other value must be the same JSON value (true is not 1, but 1
    and 1.0 are the same number)."""
    if declared == {} and isinstance(declared, dict):
        return isinstance(found, dict)
    if declared == [] and isinstance(declared, list):
        return isinstance(found, list)
    if found is ABSENT:
        return False
    if _number(declared) and _number(found):
        return bool(declared == found)
    return json.dumps(declared, sort_keys=True) == json.dumps(found, sort_keys=True)


def constant_text(declared: Any) -> str:
    """A declared constant as a failure message states it."""
    if declared == {} and isinstance(declared, dict):
        return "an object"
    if declared == [] and isinstance(declared, list):
        return "a list"
    return json.dumps(declared)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

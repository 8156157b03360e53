"""A run's clock and id: the one definition `run`, `report --from` and `merge` use."""

from __future__ import annotations

import datetime as dt
import secrets


def utc_now() -> dt.datetime:
    """The current UTC time (a run's only clock)."""
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """ISO 8601 UTC with microseconds and a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_run_id(now: dt.datetime) -> str:
    """A sortable, unique run id such as `20261125T204000Z-1a2b3c`."""
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)

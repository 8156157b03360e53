"""The rejected timestamps of PROTOCOL.md section 5, one class per rule, as JSON texts.

Every value is sent in ping, user_message and start_agent frames: each must get exactly
one direct reply, error INVALID_TIMESTAMP with the frame's message_id, start no run, and
leave the connection open. The wrong servers the data tells apart from a correct one
(comments by a class name the ones it catches):
- answers with a pong or an ack (accepts the value), with any client_timestamp: the
  value taken as is, guessed (milliseconds divided by 1000), clamped into the range, or
  replaced by the server's clock (the silent fallback of the backend this is modelled on);
- answers the error and still processes the frame: a pong or ack after it, a run started
  (an agent event of a run other than the test's own);
- validates only in ping, or only in agent requests: every frame type gets every value;
- normalises out-of-range fields (second 60 to the next minute, hour 24 to the next day,
  September 31 to October 1) instead of rejecting them;
- strips whitespace, or parses with float()/int() or a regex `\\d`, which take non-ASCII
  digits, underscores, signs, exponents, "nan" and "inf";
- checks the range on the year field instead of on the normalised instant;
- closes the connection (1011) instead of replying.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Rejected:
    """A rejected class: its rule and the JSON texts of its values."""

    rule: str
    values: tuple[str, ...]


REJECTED: Final = (
    Rejected("5.rejected.boolean", ("true", "false")),
    Rejected("5.rejected.array", ("[1757350201]", "[]")),
    Rejected("5.rejected.object", ('{"epoch": 1757350201}', "{}")),
    Rejected("5.rejected.empty-string", ('""',)),
    # A server that strips whitespace accepts these.
    Rejected(
        "5.rejected.whitespace-padded",
        ('" 2025-09-08T16:50:01Z"', '"2025-09-08T16:50:01Z "', '"1757350201 "', '"\\t1757350201"'),
    ),
    # float() takes every spelling.
    Rejected("5.rejected.nan-string", ('"NaN"', '"nan"', '"NAN"', '"-nan"')),
    Rejected(
        "5.rejected.infinity-string",
        ('"Infinity"', '"-Infinity"', '"inf"', '"-infinity"', '"+INF"'),
    ),
    Rejected("5.rejected.exponent-string", ('"1.757350201e9"', '"1757350201E0"')),
    # int() and float() take underscores between digits.
    Rejected("5.rejected.underscores", ('"1_757_350_201"', '"1757350201.447_585"')),
    # Clamping gives 0: a pong instead of the error.
    Rejected("5.rejected.negative-number", ("-1", "-1757350201.447585")),
    Rejected("5.rejected.negative-string", ('"-1"', '"-1757350201.447585"')),
    # Clamping gives 4102444799.999999: a pong instead of the error.
    Rejected("5.rejected.number-upper-bound", ("4102444800", "4102444800.0", "9999999999")),
    Rejected("5.rejected.number-overflow", ("1e400", "-1e400")),
    # Dividing by 1000 gives 1757350201.447: a pong instead of the error.
    Rejected("5.rejected.millisecond-epoch", ("1757350201447", '"1757350201447"')),
    Rejected(
        "5.rejected.decimal-string-upper-bound",
        ('"4102444800"', '"4102444800.0"', '"9999999999.999999"'),
    ),
    Rejected("5.rejected.decimal-string-10-fraction-digits", ('"1757350201.1234567891"',)),
    Rejected("5.rejected.decimal-string-sign", ('"+1757350201"', '"+1757350201.447585"')),
    Rejected("5.rejected.decimal-string-bare-point", ('"1757350201."', '".5"')),
    # Arabic-Indic and fullwidth digits: float(), int() and a regex \d take them.
    Rejected(
        "5.rejected.non-ascii-digits",
        (
            '"\u0661\u0667\u0665\u0667\u0663\u0665\u0660\u0662\u0660\u0661"',
            '"\uff11\uff17\uff15\uff17\uff13\uff15\uff10\uff12\uff10\uff11.5"',
            '"2025-09-08T16:50:0\u0661Z"',
        ),
    ),
    # The second value's year is 2099: a range check on the year accepts it.
    Rejected(
        "5.rejected.iso-year-2100",
        ('"2100-01-01T00:00:00Z"', '"2099-12-31T23:59:59-00:01"'),
    ),
    # The second value's year is 1970: a range check on the year accepts it.
    Rejected(
        "5.rejected.iso-before-epoch",
        ('"1969-12-31T23:59:59Z"', '"1970-01-01T00:30:00+01:00"'),
    ),
    Rejected("5.rejected.date-only", ('"2025-09-08"',)),
    Rejected("5.rejected.iso-without-seconds", ('"2025-09-08T16:50Z"', '"2025-09-08T16:50"')),
    Rejected("5.rejected.week-date", ('"2025-W37-1T16:50:01Z"',)),
    Rejected("5.rejected.ordinal-date", ('"2025-251T16:50:01Z"',)),
    Rejected("5.rejected.basic-format", ('"20250908T165001Z"', '"20250908T165001"')),
    Rejected("5.rejected.basic-format-offset", ('"2025-09-08T16:50:01+0500"',)),
    Rejected("5.rejected.iso-comma-decimal", ('"2025-09-08T16:50:01,447585Z"',)),
    Rejected("5.rejected.decimal-string-comma", ('"1757350201,447585"',)),
    Rejected("5.rejected.iso-fraction-10-digits", ('"2025-09-08T16:50:01.1234567891Z"',)),
    Rejected("5.rejected.fields-out-of-range", ('"2025-13-45T99:99:99"',)),
    Rejected(
        "5.rejected.month-out-of-range",
        ('"2025-13-01T00:00:00Z"', '"2025-00-10T00:00:00Z"'),
    ),
    # A normalising parser reads September 31 as October 1.
    Rejected(
        "5.rejected.day-out-of-range",
        ('"2025-09-31T00:00:00Z"', '"2025-09-00T00:00:00Z"', '"2025-01-32T00:00:00Z"'),
    ),
    Rejected("5.rejected.february-29-non-leap", ('"2025-02-29T16:50:01Z"',)),
    # A normalising parser reads hour 24 as 00:00 of the next day.
    Rejected("5.rejected.hour-24", ('"2025-09-08T24:00:00Z"',)),
    Rejected("5.rejected.minute-60", ('"2025-09-08T16:60:00Z"',)),
    # A leap-second-aware parser takes the real leap second of 2016 as the next second.
    Rejected("5.rejected.second-60", ('"2025-09-08T16:50:60Z"', '"2016-12-31T23:59:60Z"')),
    Rejected(
        "5.rejected.offset-beyond-23-59",
        ('"2025-09-08T16:50:01+24:00"', '"2025-09-08T16:50:01-24:00"'),
    ),
    Rejected("5.rejected.offset-minutes-out-of-range", ('"2025-09-08T16:50:01+05:60"',)),
)

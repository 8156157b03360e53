"""The reference server's `openai-realtime` defects: one per rule of the turn it breaks.

Plain rows (name, what the server then does wrong, the suites that catch it):
harness/reference/defects.py makes them catalogue entries that only a realtime
dialect serves.
"""

from __future__ import annotations

from typing import Final

RT_DOUBLE_DONE: Final = "rt-double-done"
RT_DELTA_AFTER_DONE: Final = "rt-delta-after-done"
RT_REUSED_RESPONSE_ID: Final = "rt-reused-response-id"
RT_DELTA_BEFORE_ITEM: Final = "rt-delta-before-item"
RT_TEXT_DONE_TWICE: Final = "rt-text-done-twice"
RT_DONE_WHILE_OPEN: Final = "rt-done-while-open"
RT_BAD_ARGUMENTS: Final = "rt-bad-arguments"
RT_TEXT_MISMATCH: Final = "rt-text-mismatch"
RT_CROSS_SESSION: Final = "rt-cross-session"
RT_STUCK_AFTER_ERROR: Final = "rt-stuck-after-error"
RT_CANCEL_IGNORED: Final = "rt-cancel-ignored"
RT_CLOSE_4000: Final = "rt-close-4000"

_TURN: Final = ("agent_events",)

REALTIME_ROWS: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    (RT_DOUBLE_DONE, "every response ends with two response.done frames", _TURN),
    (
        RT_DELTA_AFTER_DONE,
        "one more response.output_text.delta of a response comes after its response.done",
        _TURN,
    ),
    (
        RT_REUSED_RESPONSE_ID,
        "every response of a session after the first reuses the first response's id",
        _TURN,
    ),
    (
        RT_DELTA_BEFORE_ITEM,
        "the first text delta of a response comes before its message's output_item.added",
        _TURN,
    ),
    (RT_TEXT_DONE_TWICE, "response.output_text.done is sent twice for the message", _TURN),
    (
        RT_DONE_WHILE_OPEN,
        "response.done (completed) comes before the message's output_text.done, and nothing "
        "more of the message follows",
        _TURN,
    ),
    (
        RT_BAD_ARGUMENTS,
        "function-call arguments lose their closing brace: the joined text is not JSON",
        _TURN,
    ),
    (
        RT_TEXT_MISMATCH,
        "the final text of the message drops one character the deltas carried",
        _TURN,
    ),
    (
        RT_CROSS_SESSION,
        "a response's text deltas are also sent to every open session of every other user",
        _TURN,
    ),
    (
        RT_STUCK_AFTER_ERROR,
        "after a session got an error frame, response.create is never answered",
        _TURN,
    ),
    (
        RT_CANCEL_IGNORED,
        "response.cancel is ignored: the response streams on and ends completed",
        _TURN,
    ),
    (
        RT_CLOSE_4000,
        "right after the second response.done of a session, it is closed with code 4000",
        ("agent_events", "message_routing"),
    ),
)

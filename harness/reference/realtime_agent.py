"""The `openai-realtime` server's llm-like agent: a pure, seeded plan of one response.

Each response draws from `random.Random(f"{seed}:{text}:{n}")`, n counting the
server's responses, so two responses differ while a given seed and order repeat.
The answer is worded anew each time, sometimes with non-ASCII (é, ü, an emoji),
cut into deltas at random code points, with pauses between them; a text that asks
to search, look something up or for the weather first gets one or two function
calls of `search`.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
from dataclasses import dataclass
from typing import Final

SEARCH: Final = "search"
_CALL_WORDS: Final = ("search", "look up", "weather")
_FRANCE: Final = "capital of france"
_OPENINGS: Final = (
    "Sure,",
    "Well,",
    "Here is my take:",
    "Good question!",
    "Let me think.",
    "Voilà:",
    "Right,",
)
_WORDS: Final = (
    "the answer depends on what you need and how soon you need it",
    "a short summary follows with the main points first",
    "most sources agree on this although details differ slightly",
    "the café down the street über-prepared a naïve résumé",
    "weather patterns shift slowly so plans can change",
    "numbers alone rarely tell the whole story here",
    "I would check one more source before deciding 🙂",
    "this is a common question with a fairly simple answer",
    "Zürich and Málaga are nice examples of tidy old towns",
    "keep it simple and test each step on its own ✨",
    "there are three things worth knowing about this",
    "overall the result looks sound to me",
)
_FRANCE_YES: Final = (
    "The capital of France is Paris.",
    "Paris is the capital of France.",
    "France's capital city is Paris, on the Seine.",
)
_FRANCE_NO: Final = (
    "I am not sure which city is the capital of France.",
    "I cannot say for certain what the capital of France is.",
)
MIN_WORDS: Final = 12
MAX_WORDS: Final = 60
MIN_DELTAS: Final = 3
MAX_DELTAS: Final = 40
MAX_CHUNK: Final = 20
MAX_ARG_DELTAS: Final = 8


@dataclass(frozen=True, slots=True)
class CallPlan:
    """One function call of `search`: its JSON arguments, cut into deltas."""

    arguments: str
    deltas: tuple[str, ...]
    pauses: tuple[float, ...]  # seconds before each delta after the first


@dataclass(frozen=True, slots=True)
class ResponsePlan:
    """What one response says: its calls, then its text, each cut into deltas."""

    calls: tuple[CallPlan, ...]
    text: str
    deltas: tuple[str, ...]
    pauses: tuple[float, ...]  # seconds before each text delta after the first


def plan_response(seed: int, text: str, n: int, think_ms: float) -> ResponsePlan:
    """The plan of response number `n` of a server seeded `seed`, for the user text `text`."""
    rng = random.Random(f"{seed}:{text}:{n}")
    lowered = text.lower()
    calls: tuple[CallPlan, ...] = ()
    if any(word in lowered for word in _CALL_WORDS):
        calls = tuple(_call(rng, text, think_ms) for _ in range(rng.randint(1, 2)))
    answer = _answer(rng, lowered)
    count = _delta_count(rng, len(answer))
    deltas = cut(rng, answer, count)
    return ResponsePlan(calls, answer, deltas, _pauses(rng, len(deltas), think_ms))


def _answer(rng: random.Random, lowered: str) -> str:
    """12 to 60 words: an opening, phrases of the vocabulary, and the France answer if asked."""
    words = rng.choice(_OPENINGS).split()
    if _FRANCE in lowered:
        # About 3 responses in 4 know it.
        known = rng.random() < 0.75
        words += rng.choice(_FRANCE_YES if known else _FRANCE_NO).split()
    target = max(rng.randint(MIN_WORDS, MAX_WORDS), len(words))  # never cut the sentence
    while len(words) < target:
        words += rng.choice(_WORDS).split()
    return " ".join(words[:target]).rstrip(",:.!") + "."


def _call(rng: random.Random, text: str, think_ms: float) -> CallPlan:
    """One `search` call whose query is some words of the user text."""
    words = re.findall(r"\w+", text) or ["anything"]
    start = rng.randrange(len(words))
    query = " ".join(words[start : start + rng.randint(1, 6)])
    arguments = json.dumps({"query": query}, ensure_ascii=False)
    count = rng.randint(1, min(MAX_ARG_DELTAS, len(arguments)))
    deltas = cut(rng, arguments, count)
    return CallPlan(arguments, deltas, _pauses(rng, len(deltas), think_ms))


def _delta_count(rng: random.Random, length: int) -> int:
    """3 to 40 deltas, enough that most are at most about 20 characters."""
    low = min(max(MIN_DELTAS, math.ceil(length / MAX_CHUNK)), MAX_DELTAS, length)
    return rng.randint(low, min(MAX_DELTAS, length))


def cut(rng: random.Random, text: str, count: int) -> tuple[str, ...]:
    """`text` cut into `count` non-empty pieces at random code points (inside words too)."""
    points = sorted(rng.sample(range(1, len(text)), count - 1)) if count > 1 else []
    bounds = [0, *points, len(text)]
    return tuple(text[a:b] for a, b in itertools.pairwise(bounds))


def _pauses(rng: random.Random, count: int, think_ms: float) -> tuple[float, ...]:
    """The waits before each delta after the first: think_ms times 0.2 to 1.5, in seconds."""
    return tuple(think_ms * rng.uniform(0.2, 1.5) / 1000 for _ in range(count - 1))

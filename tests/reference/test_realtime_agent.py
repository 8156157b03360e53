"""The openai-realtime agent's plans: seeded, worded anew, cut at code points, with calls."""

from __future__ import annotations

import json

from harness.reference.realtime_agent import plan_response

PLANS = [plan_response(0, f"question {n % 5}", n, 5.0) for n in range(200)]


def test_a_plan_repeats_for_the_same_seed_text_and_count_only() -> None:
    assert plan_response(1, "hi", 3, 5.0) == plan_response(1, "hi", 3, 5.0)
    assert plan_response(1, "hi", 3, 5.0).text != plan_response(1, "hi", 4, 5.0).text
    assert plan_response(1, "hi", 3, 5.0).text != plan_response(2, "hi", 3, 5.0).text


def test_answers_are_12_to_60_words_cut_into_3_to_40_deltas() -> None:
    for plan in PLANS:
        assert 12 <= len(plan.text.split()) <= 60
        assert 3 <= len(plan.deltas) <= 40
        assert "".join(plan.deltas) == plan.text and all(plan.deltas)
        assert len(plan.pauses) == len(plan.deltas) - 1
        assert all(0.001 <= pause <= 0.0075 for pause in plan.pauses)  # 5 ms x 0.2..1.5
    assert len({plan.text for plan in PLANS}) == len(PLANS)


def test_some_answers_are_not_ascii_and_some_deltas_cut_words() -> None:
    assert 0 < sum(not plan.text.isascii() for plan in PLANS) < len(PLANS)
    single = [d for plan in PLANS for d in plan.deltas if len(d) == 1 and not d.isascii()]
    assert single, "a delta of one multi-byte character"
    cut_words = [d for plan in PLANS for d in plan.deltas[:-1] if d[-1].isalpha()]
    assert cut_words, "deltas that end inside a word"


def test_search_look_up_and_weather_get_one_or_two_search_calls() -> None:
    assert all(plan.calls == () for plan in PLANS)
    for n, text in enumerate(["search cats", "Look up the news", "weather in Lyon"] * 10):
        plan = plan_response(0, text, n, 5.0)
        assert 1 <= len(plan.calls) <= 2
        for call in plan.calls:
            query = json.loads(call.arguments)["query"]
            assert query and set(query.split()) <= set(text.split())
            assert "".join(call.deltas) == call.arguments and 1 <= len(call.deltas) <= 8


def test_the_capital_of_france_is_paris_in_about_three_answers_of_four() -> None:
    answers = [plan_response(5, "the capital of France?", n, 5.0).text for n in range(200)]
    knowing = sum("Paris" in text for text in answers)
    assert 130 <= knowing <= 170
    assert all("not sure" in t or "cannot say" in t for t in answers if "Paris" not in t)

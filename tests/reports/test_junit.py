"""junit.xml: valid XML, one testsuite per suite, counts that match, every rerun attempt kept."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from harness.report.render import render_junit


def _suite(root: ET.Element, name: str) -> ET.Element:
    found = root.find(f"testsuite[@name='{name}']")
    assert found is not None, f"no testsuite {name!r} in junit.xml"
    return found


def _case(root: ET.Element, test_id: str) -> ET.Element:
    for case in root.iter("testcase"):
        if case.get("name") == test_id:
            return case
    raise AssertionError(f"no testcase {test_id!r} in junit.xml")


def test_junit_parses_and_totals_match_the_verdict(verdict: dict[str, Any]) -> None:
    """The root counts equal the verdict's summary (skipped includes not run)."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    assert root.tag == "testsuites"
    assert root.get("tests") == "12"
    assert root.get("failures") == "3"
    assert root.get("errors") == "1"
    assert root.get("skipped") == "1"
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "timestamp_core",
        "agent_events",
        "staging_repro",
        "message_routing",
        "security",
    ]


def test_each_testsuite_counts_its_testcases(verdict: dict[str, Any]) -> None:
    """Per suite, the counts match the verdict and the testcase elements."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    expected = {
        "timestamp_core": ("3", "0", "0", "0"),
        "agent_events": ("3", "1", "0", "0"),
        "staging_repro": ("2", "1", "0", "0"),
        "message_routing": ("2", "1", "0", "0"),
        "security": ("2", "0", "1", "1"),
    }
    for name, (tests, failures, errors, skipped) in expected.items():
        suite = _suite(root, name)
        assert (
            suite.get("tests"),
            suite.get("failures"),
            suite.get("errors"),
            suite.get("skipped"),
        ) == (tests, failures, errors, skipped), name
        cases = suite.findall("testcase")
        assert len(cases) == int(tests)
        assert {c.get("classname") for c in cases} == {name}


def test_failures_errors_and_not_run_have_their_elements(verdict: dict[str, Any]) -> None:
    """failed -> <failure message>, error -> <error>, not_run -> <skipped>."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    failure = _case(root, "staging_repro::test_staging::test_original_frame").find("failure")
    assert failure is not None
    assert failure.get("message") == "close code: expected None, observed 1011"
    error = _case(root, "security::test_tokens::test_forged_token_rejected").find("error")
    assert error is not None
    assert error.get("message") == "CapabilityMissing: mint_tokens needs the target's secret"
    skipped = _case(root, "security::test_tokens::test_expired_token_rejected").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "not_run"


def test_every_rerun_attempt_is_kept(verdict: dict[str, Any]) -> None:
    """A flaky test keeps its failed attempt as <flakyFailure>; a failing one as <rerunFailure>."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    flaky = _case(root, "message_routing::test_types::test_ping")
    assert flaky.find("failure") is None
    flaky_failures = flaky.findall("flakyFailure")
    assert [f.get("message") for f in flaky_failures] == ["pong: no reply within 5.0 s"]
    failing = _case(root, "agent_events::test_order::test_tool_completed_follows_tool_executing")
    assert failing.find("failure") is not None
    assert len(failing.findall("rerunFailure")) == 1


def test_transcript_goes_to_system_out(verdict: dict[str, Any]) -> None:
    """A failed test's frames are listed in <system-out>, close code included."""
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    out = _case(root, "staging_repro::test_staging::test_original_frame").findtext("system-out")
    assert out is not None
    assert "close t=0.0027 type=- size=0 close=1011" in out
    assert '"timestamp": "2025-09-08T16:50:01.447585"' in out


def test_hostile_text_and_control_characters_stay_valid_xml(verdict: dict[str, Any]) -> None:
    """Quotes, markup, control characters and lone surrogates cannot break the XML."""
    nasty = 'a"b<c>&d]]>\x00\x1b\ud800 <script>alert(1)</script>'
    test = verdict["suites"][2]["tests"][0]
    test["id"] = nasty
    test["message"] = nasty
    test["transcript"][2]["data"] = nasty
    text = render_junit(verdict)
    root = ET.fromstring(text.encode("utf-8"))
    case = root.find("testsuite[@name='staging_repro']/testcase")
    assert case is not None
    assert case.get("name") == 'a"b<c>&d]]>\ufffd\ufffd\ufffd <script>alert(1)</script>'
    failure = case.find("failure")
    assert failure is not None
    assert failure.text == 'a"b<c>&d]]>\ufffd\ufffd\ufffd <script>alert(1)</script>'


def test_load_error_and_run_errors_are_errors(verdict: dict[str, Any]) -> None:
    """A suite that failed to load and a run-level error each appear as an <error>."""
    verdict["suites"][0]["load_error"] = "ImportError: no module named x"
    verdict["run_errors"] = [
        {"cause": "worker_crash", "message": "worker gw1 crashed", "suite": None, "tests": []}
    ]
    root = ET.fromstring(render_junit(verdict).encode("utf-8"))
    assert root.get("errors") == "3"
    assert root.get("tests") == "14"
    load = _case(root, "timestamp_core::(load)").find("error")
    assert load is not None
    assert load.get("message") == "ImportError: no module named x"
    run = _suite(root, "(run)").find("testcase/error")
    assert run is not None
    assert run.get("message") == "worker gw1 crashed"

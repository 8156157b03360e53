"""report.html as text: its own security policy, no live markup from the target, live links."""

from __future__ import annotations

import re
from typing import Any

from harness.report.render import render_html

CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">"
)


def test_html_declares_a_policy_that_forbids_every_request(verdict: dict[str, Any]) -> None:
    """The page carries a CSP with default-src 'none' and has no script, link or src."""
    html = render_html(verdict)
    assert CSP in html
    assert "<script" not in html
    assert "<link" not in html
    assert " src=" not in html


def test_every_internal_link_has_a_target(verdict: dict[str, Any]) -> None:
    """Each href="#x" points at an element with id="x" (reason lines reach their tests)."""
    html = render_html(verdict)
    links = set(re.findall(r'href="#([^"]+)"', html))
    ids = set(re.findall(r' id="([^"]+)"', html))
    assert len(links) >= 8
    assert links <= ids


def test_target_text_is_escaped(verdict: dict[str, Any]) -> None:
    """Markup in a message, a frame and a test id comes out as entities, never as tags."""
    test = verdict["suites"][2]["tests"][0]
    test["id"] = "staging_repro::<script>alert(1)</script>"
    test["message"] = "<img src=x onerror=alert(1)>"
    test["transcript"][2]["data"] = '{"type": "</code><script>alert(2)</script>"}'
    html = render_html(verdict)
    assert "<script" not in html
    assert "<img" not in html
    assert "staging_repro::&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&#34;&lt;/code&gt;&lt;script&gt;alert(2)&lt;/script&gt;&#34;" in html

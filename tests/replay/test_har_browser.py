"""A HAR written by headless Chromium (Playwright) for a page talking to the reference server
converts to a capture that replays clean against another correct server."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from harness.reference import ServerConfig, mint_token, start_subprocess
from harness.replay.capture import load_capture
from harness.replay.har import har_to_capture
from harness.replay.player import Player
from harness.wire.profile import load_profile
from harness.wire.tokens import synthetic_user_id

from ..browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

SECRET = "har-browser-secret-5e8a7c1d-long-enough"
TIMEOUT_MS = 15_000
# The page: the staging frame in start_agent, the run to its end, then a ping.
PAGE = """<!doctype html><meta charset="utf-8"><title>waiting</title>
<script>
const ws = new WebSocket(WS_URL);
const send = (f) => ws.send(JSON.stringify(f));
ws.onmessage = (event) => {
  const frame = JSON.parse(event.data);
  if (frame.type === "connection_established") {
    send({type: "start_agent", message_id: "m-page-1", timestamp: "2025-09-08T16:50:01.447585",
          payload: {user_request: "What is 2+3?", thread_id: "t-page-1"}});
  } else if (frame.type === "agent_completed") {
    send({type: "ping", message_id: "m-page-2"});
  } else if (frame.type === "pong") {
    document.title = "done";
    ws.close(1000);
  }
};
</script>"""


@pytest.fixture
def page_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The reference server (own process) and a page served on 127.0.0.1:0 that talks to it."""
    with start_subprocess(ServerConfig(jwt_secret=SECRET)) as server:
        token = mint_token(SECRET, "u-browser")
        ws_url = f"{server.ws_url}?token={token}"
        (tmp_path / "index.html").write_text(PAGE.replace("WS_URL", repr(ws_url)), "utf-8")
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
            *a, directory=str(tmp_path), **k
        )
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}/index.html", token
        finally:
            httpd.shutdown()
            httpd.server_close()


def test_a_chromium_har_replays_clean(page_server: tuple[str, str], tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (CI does)")
    page_url, token = page_server
    har = tmp_path / "session.har"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        context = browser.new_context(record_har_path=str(har), record_har_content="embed")
        page = context.new_page()
        page.goto(page_url, timeout=TIMEOUT_MS)
        page.wait_for_function("document.title === 'done'", timeout=TIMEOUT_MS)
        context.close()  # writes the HAR
        browser.close()
    out = tmp_path / "capture.jsonl"
    assert har_to_capture(har, out) == 1
    text = out.read_text("utf-8")
    assert token not in text
    capture = load_capture(out)
    kinds = [(e.dir, e.kind) for e in capture.connections()[1]]
    assert kinds[0] == ("client", "open")
    assert ("client", "text") in kinds and ("server", "text") in kinds
    assert capture.connections()[1][0].query == {"token": "<redacted>"}

    def new_user() -> tuple[str, str]:
        user = synthetic_user_id("har")
        return user, mint_token(SECRET, user)

    with start_subprocess(ServerConfig(jwt_secret=SECRET)) as fresh:
        player = Player(capture, fresh.ws_url, load_profile("chat-agent/1"), new_user)
        result = asyncio.run(player.run())
    assert result.first_mismatch is None, result.first_mismatch.describe()
    replayed = [f["type"] for f in result.connections[0].replayed.frames]
    assert replayed[:2] == ["connection_established", "ack"]
    assert replayed[-1] == "pong"
    assert result.connections[0].replayed.frames[1]["client_timestamp"] == 1757350201.447585

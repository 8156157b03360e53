"""The publish pipeline (harness/run/publish.py): judged once, annotated, redacted once,
then handed to each sink once, in order."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.history.store import VERDICT_FILE
from harness.run.publish import publish
from harness.run.sinks import Block, Reports, VerdictFile
from harness.verdict.policy_file import load_policy
from harness.verdict.records import RunError
from harness.wire.redaction import Redactor
from tests.verdict.runbuilder import TODAY, attempt, run, suite, with_attempts

SECRET = "pipeline-secret-7f3a9c"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl"


class Recorder:
    """A sink that keeps every document it was given and the files written before it."""

    def __init__(self, name: str, log: list[str], files: Mapping[str, Path] | None = None):
        self.name = name
        self.log = log
        self.files = dict(files or {})
        self.documents: list[Mapping[str, Any]] = []
        self.seen: list[dict[str, Path]] = []

    def publish(
        self, document: Mapping[str, Any], written: Mapping[str, Path]
    ) -> Mapping[str, Path]:
        self.log.append(self.name)
        self.documents.append(document)
        self.seen.append(dict(written))
        return self.files


class Leaky:
    """An annotator that puts the secret and a token into the document."""

    def annotate(self, document: dict[str, Any]) -> None:
        document["leak"] = {"secret": f"the secret is {SECRET}", TOKEN: "token as a key"}


def failing_run() -> Any:
    spec = suite("agent_events", "critical", a="P", b="F")
    message = f"expected ack with secret {SECRET}, observed token {TOKEN}"
    return run(with_attempts(spec, "b", attempt("F", message)))


def test_each_sink_gets_the_redacted_document_once_in_order(tmp_path: Path) -> None:
    log: list[str] = []
    first = Recorder("first", log, {"verdict": tmp_path / "v.json"})
    second = Recorder("second", log, {"md": tmp_path / "r.md"})
    third = Recorder("third", log)
    code = publish(
        failing_run(),
        load_policy(None),
        today=TODAY,
        redactor=Redactor(SECRET, [TOKEN]),
        sinks=[first, second, third],
        annotators=[Leaky(), Block("shard", {"index": 1, "count": 2})],
    )
    assert code == 1
    assert log == ["first", "second", "third"]
    for sink in (first, second, third):
        assert len(sink.documents) == 1
        text = json.dumps(sink.documents[0])
        assert SECRET not in text
        assert TOKEN not in text
        assert "<redacted:secret>" in text
        assert "<redacted:token>" in text
        assert sink.documents[0]["verdict"] == "NOT_APPROVED"
        assert sink.documents[0]["shard"] == {"index": 1, "count": 2}
        assert sink.documents[0]["leak"]["secret"] == "the secret is <redacted:secret>"
    assert first.documents[0] is third.documents[0]  # one document, redacted once
    assert first.seen == [{}]
    assert second.seen == [{"verdict": tmp_path / "v.json"}]
    assert third.seen == [{"verdict": tmp_path / "v.json", "md": tmp_path / "r.md"}]


def test_an_early_exit_is_judged_incomplete() -> None:
    kept = Recorder("kept", [])
    code = publish(
        run(suite("agent_events", "critical", a="P", b="")),
        load_policy(None),
        today=TODAY,
        redactor=Redactor(),
        sinks=[kept],
        early=RunError("interrupted", "SIGTERM after 1.0 s"),
    )
    assert code == 2
    assert kept.documents[0]["verdict"] == "INCOMPLETE"


def test_the_file_sinks_write_the_redacted_document(tmp_path: Path) -> None:
    code = publish(
        failing_run(),
        load_policy(None),
        today=TODAY,
        redactor=Redactor(SECRET, [TOKEN]),
        sinks=[VerdictFile(tmp_path), Reports(tmp_path)],
    )
    assert code == 1
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["junit.xml", "report.html", "report.md", VERDICT_FILE]
    for path in tmp_path.iterdir():
        text = path.read_text("utf-8")
        assert SECRET not in text
        assert TOKEN not in text

"""The Jinja2 environment of every report template, with its filters (pure text helpers).

The report renderer and the diff view both render through it; it imports no view, so
every view may import it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

import jinja2

_MD_SPECIAL = re.compile(r"([\\`*<>|\[\]#~!])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


class _Environment(jinja2.Environment):
    """Reads `x.key` of a verdict dict as its item first: the verdict is plain JSON data."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def _num(value: Any, digits: int = 3) -> str:
    """A number with at most `digits` (>= 1) decimals, no trailing zeros; "n/a" for None."""
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, float) or not math.isfinite(value):
        return str(value)
    text = f"{value:.{max(digits, 1)}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _md_text(value: Any) -> str:
    """Text safe in a Markdown paragraph or table cell: one line, specials backslashed."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def _md_code(value: Any) -> str:
    """Text safe inside a single-backtick code span in a table cell."""
    text = " ".join(str(value).split())
    return text.replace("`", "'").replace("|", "\\|")


def _md_block(value: Any) -> str:
    """Text for an indented (4 spaces) Markdown code block: exact, every line indented."""
    return "\n".join("    " + line for line in str(value).split("\n"))


def anchor(test_id: Any) -> str:
    """A stable HTML id for a test: ids may hold any character, anchors should not."""
    return "t-" + hashlib.sha256(str(test_id).encode("utf-8", "replace")).hexdigest()[:16]


def _xml_attr(value: Any) -> str:
    """One-line text for an XML attribute (parsers fold newlines to spaces anyway)."""
    return " ".join(str(value).split())


def suite_mark(suite: Mapping[str, Any]) -> str:
    """The status mark of a suite: the pass mark only for PASS with no failures or errors."""
    status = suite["status"]
    if status == "PASS" and not suite["failed"] and not suite["errors"]:
        return "pass"
    if status == "PASS_WITH_CONDITIONS":
        return "conditions"
    if status == "FAIL" or suite["failed"]:
        return "fail"
    return "incomplete"


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """The templates compiled once per user and template text (Jinja2's own cache, in its
    per-user folder under the system's temporary folder): a report no longer recompiles
    them at every run (about 0.2 s of CPU). A folder that cannot be read or written
    leaves them compiled in memory only."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled() -> jinja2.BytecodeCache | None:
    try:
        return TemplateCache()
    except (OSError, RuntimeError):  # no usable temporary folder of this user's
        return None


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment: autoescape for HTML/XML templates, StrictUndefined everywhere."""
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("harness.report.templates"))),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "xml.j2"), default_for_string=True, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=_compiled(),
    )
    env.filters.update(num=_num, md=_md_text, md_code=_md_code, md_block=_md_block, anchor=anchor)
    env.filters["xml_attr"] = _xml_attr
    env.globals["suite_mark"] = suite_mark
    return env

"""The report templates are compiled once per user and template text, and a cache folder
that cannot be written costs nothing but the compile."""

from __future__ import annotations

from pathlib import Path

import jinja2

from harness.report.environment import TemplateCache, environment

TEMPLATES = ("report.md.j2", "report.html.j2", "junit.xml.j2")


def _env(cache: jinja2.BytecodeCache) -> jinja2.Environment:
    """The reports' environment with `cache` as its bytecode cache."""
    return environment().overlay(bytecode_cache=cache)


def test_a_second_environment_loads_the_compiled_templates(tmp_path: Path) -> None:
    first = _env(TemplateCache(str(tmp_path)))
    for name in TEMPLATES:
        first.get_template(name)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 3 and all(n.endswith(".cache") for n in written), written
    # A fresh environment reads them: the same code object names, no new file.
    second = _env(TemplateCache(str(tmp_path)))
    assert [second.get_template(n).name for n in TEMPLATES] == list(TEMPLATES)
    assert sorted(p.name for p in tmp_path.iterdir()) == written


def test_a_folder_that_cannot_be_written_still_renders(tmp_path: Path) -> None:
    # A file where the folder should be: no one, root included, can write into it.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    env = _env(TemplateCache(str(blocked)))
    assert env.get_template("junit.xml.j2").name == "junit.xml.j2"
    assert [p.name for p in tmp_path.iterdir()] == ["not-a-folder"]

"""The harness's pytest plugin stays idle in a session that does not ask for it (black-box).

Installed, stability-harness is loaded into every pytest session of the environment: an
unrelated project must run as if it were not (its own `--target` option and `target`
fixture, no harness fixture, marker, hook or import), and a suite still gets everything
when the session names it or passes a `--harness-*` option.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..extra_suite import install_suite

CONFTEST = """
    import pytest

    def pytest_addoption(parser):
        parser.addoption("--target", default="nowhere", help="this project's own target")

    @pytest.fixture
    def target(request):
        return request.config.getoption("target")
"""

UNRELATED = """
    import sys

    import pytest

    def test_its_own_target_option_and_fixture(target):
        assert target == "over-there"

    def test_no_harness_fixture(request):
        with pytest.raises(pytest.FixtureLookupError):
            request.getfixturevalue("connect")

    def test_nothing_of_the_harness_imported():
        loaded = {"harness.run.plugin_hooks", "harness.run.plugin_fixtures", "harness.wire.client"}
        assert loaded & set(sys.modules) == set()

    @pytest.mark.xfail(reason="the project's own expected failure")
    def test_expected_failure():
        assert False
"""

SUITE = {
    "test_suite.py": """
        import pytest

        pytestmark = pytest.mark.asyncio

        @pytest.mark.rules("5.rejected.boolean")
        async def test_pong(connect):
            client = await connect()
            assert (await client.request("ping"))["type"] == "pong"
    """,
}


def _project(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_unrelated=UNRELATED)


def test_an_unrelated_project_runs_as_without_the_plugin(pytester: pytest.Pytester) -> None:
    _project(pytester)
    args = ("-p", "no:cacheprovider", "-p", "no:xdist", "--strict-markers", "-rA")
    with_plugin = pytester.runpytest_subprocess(*args, "--target", "over-there")
    assert with_plugin.ret == 0, with_plugin.stdout.str()
    assert with_plugin.parseoutcomes() == {"passed": 3, "xfailed": 1}
    without = pytester.runpytest_subprocess(*args, "-p", "no:harness", "--target", "over-there")
    assert without.ret == 0, without.stdout.str()
    # The same output line for line, but for the plugin list and the timing of the last line.
    assert _comparable(with_plugin.outlines) == _comparable(without.outlines)


def _comparable(lines: list[str]) -> list[str]:
    return [line for line in lines[:-1] if not line.startswith(("plugins:", "rootdir:"))]


def test_an_unrelated_project_sees_no_harness_marker(pytester: pytest.Pytester) -> None:
    _project(pytester)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--markers")
    out = result.stdout.str()
    assert "@pytest.mark.xfail" in out
    for marker in ("rules", "requires_converter", "long_wait", "every_shard", "perf", "load"):
        assert f"@pytest.mark.{marker}" not in out


def test_a_harness_marker_is_unknown_to_an_unrelated_strict_project(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_marked="""
        import pytest

        @pytest.mark.rules("5.rejected.no-such-rule")
        def test_marked():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*'rules' not found in `markers` configuration option*"])


def test_a_suite_named_by_its_path_gets_the_plugin(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    package = install_suite(extra_site, SUITE)
    result = pytester.runpytest_subprocess(
        str(package), "--rootdir", str(extra_site), "-p", "no:cacheprovider", "--strict-markers"
    )
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes() == {"passed": 1}


def test_a_suite_named_by_its_module_gets_the_plugin(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    install_suite(extra_site, SUITE)
    module = "extra_pkg.extra_suite.test_suite"
    result = pytester.runpytest_subprocess(
        *("--pyargs", module, "--rootdir", str(extra_site), "-p", "no:cacheprovider")
    )
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes() == {"passed": 1}


def test_a_harness_option_asks_for_the_plugin(pytester: pytest.Pytester) -> None:
    """Outside every suite, `--harness` (or any `--harness-*` option) turns the plugin on."""
    pytester.makepyfile(
        test_unknown="""
        import pytest

        @pytest.mark.rules("5.rejected.no-such-rule")
        def test_unknown():
            pass
        """
    )
    idle = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    assert idle.ret == 0
    asked = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "--harness")
    assert asked.ret == pytest.ExitCode.USAGE_ERROR
    asked.stderr.fnmatch_lines(["*names unknown rule '5.rejected.no-such-rule'*"])

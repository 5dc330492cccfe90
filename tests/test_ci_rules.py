"""The rules CI runs under: a skipped test is a failure there."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]


def _run(pytester, monkeypatch, no_skips: str | None):
    if no_skips is None:
        monkeypatch.delenv("RISKGRID_NO_SKIPS", raising=False)
    else:
        monkeypatch.setenv("RISKGRID_NO_SKIPS", no_skips)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    pytester.makepyfile(
        """
        import pytest

        def test_skips():
            pytest.skip("no server here")

        @pytest.mark.xfail(reason="known")
        def test_expected_failure():
            assert False

        def test_passes():
            assert True
        """
    )
    return pytester.runpytest_subprocess("-q")


def test_a_skip_fails_under_ci(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, "1")
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*skipped under CI, which counts as a failure*no server here*"])


def test_a_skip_is_a_skip_on_a_developer_machine(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, None)
    result.assert_outcomes(passed=1, skipped=1, xfailed=1)

"""The suite's own guard, "no full number in any log", must be able to fail."""

from __future__ import annotations

import pytest

from tests.conftest import REPO

PLANTED = """
import logging

from reminder.cli import app
from typer.testing import CliRunner


def test_a_command_then_a_number_logged_outside_it():
    # A command installs the CLI's masking for the whole process ...
    assert CliRunner().invoke(app, ["--version"]).exit_code == 0
    assert CliRunner().invoke(app, ["validate"]).exit_code in (0, 2)


def test_library_code_that_logs_a_full_number():
    # ... which must not hide what code outside a command logs in a later test.
    logging.getLogger("reminder.delivery.dispatch").warning("sent to +8613800138000")
"""


def test_a_planted_unmasked_number_is_caught(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pytest of its own, so the planted record does not reach this test's own check.
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makeconftest('pytest_plugins = ["tests.conftest"]\n')
    pytester.makepyfile(test_planted=PLANTED)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)  # the check fails at the test's teardown
    result.stdout.fnmatch_lines(["*unmasked number logged: sent to +8613800138000*"])

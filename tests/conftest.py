"""Shared fixtures: a clean environment, sample projects, stores on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import logging
import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reminder import i18n
from reminder.cli import app
from reminder.cli.app import State
from reminder.clock import Clock, ScaledClock
from tests.factories import ProjectFiles
from tests.support.databases import PG_URL_VARIABLE, database_kinds, fresh_database
from tests.support.servers import TwilioLikeServer

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent


FULL_NUMBER = re.compile(r"\+\d{10,15}")
SECRETS = ("test-auth-token-not-a-secret", "s3cr3t-token-value")


PRISTINE_RECORD_FACTORY = logging.getLogRecordFactory()


def assert_nothing_sensitive(records: list[logging.LogRecord]) -> None:
    """No full phone number and no test secret in any of `records`."""
    for record in records:
        text = record.getMessage()
        assert not FULL_NUMBER.search(text), f"unmasked number logged: {text}"
        assert not any(secret in text for secret in SECRETS), f"secret logged: {text}"


def _without_cli_logging() -> None:
    """Undo what a command did to logging: its masking record factory and its handler (whose
    filter masks records in place before any later handler, caplog's included, sees them)."""
    logging.setLogRecordFactory(PRISTINE_RECORD_FACTORY)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_reminder", False)]:
        root.removeHandler(handler)


@pytest.fixture(autouse=True)
def _nothing_sensitive_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Across the whole suite: no full phone number and no auth token in any log record.

    The command line masks every record as it is created (a process-wide record factory and a
    masking handler); each test starts without them, so code that logs outside a command is
    checked as it is.
    """
    _without_cli_logging()
    caplog.set_level(logging.INFO)
    try:
        yield
    finally:
        _without_cli_logging()
    for when in ("setup", "call", "teardown"):
        assert_nothing_sensitive(caplog.get_records(when))


@pytest.fixture(autouse=True, scope="session")
def _commands_imported() -> None:
    """Import every command's module before any test runs: the CLI imports them lazily, and a
    module first imported under freezegun would keep its fake `date` class for good (pydantic
    then cannot build the models that name it). `--version` and `--help` staying light is
    checked in a subprocess (`test_cli_startup.py`)."""
    from reminder.cli.app import COMMANDS

    for entry in COMMANDS:
        importlib.import_module(entry.module)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No REMINDER_* or TWILIO_* variable leaks in; the language is English; every test runs in
    its own directory."""
    for name in list(os.environ):
        if name.startswith(("REMINDER_", "TWILIO_")) and name != PG_URL_VARIABLE:
            monkeypatch.delenv(name)
    # English unless a test (or its config's `language:`) says otherwise, whatever the machine.
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    i18n.use_language(None)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the repository's sample data with a config using the file gateway."""
    root = tmp_path / "sample"
    for folder in ("campaigns", "templates", "contacts", "cases"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "config.yaml").write_text(
        "database_url: sqlite:///reminder.db\ngateway: file\ngateways:\n  file:\n"
        "    path: outbox.jsonl\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def files(tmp_path: Path) -> ProjectFiles:
    """A small project written from test data (see tests/factories.py)."""
    return ProjectFiles(tmp_path / "project")


class Cli:
    """Runs the `reminder` app in-process and keeps what it printed apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()
        #: The clock commands run on; None: the real one (which freezegun controls).
        self.clock: Clock | None = None

    def at(self, moment: datetime) -> Cli:
        """Run the commands from now on at a pinned time: a clock that starts at `moment` and
        runs at real speed, while the providers' clock (`wall_now`) stays the machine's, as in
        a rehearsal."""
        self.clock = ScaledClock(moment)
        return self

    def __call__(self, *args: str, input: str | None = None):
        obj = State(clock=self.clock) if self.clock is not None else None
        return self.runner.invoke(
            app, [str(a) for a in args], input=input, catch_exceptions=False, obj=obj
        )


@pytest.fixture
def cli() -> Cli:
    """Invoke the CLI: `result = cli("--config", path, "validate")`."""
    return Cli()


@pytest.fixture(params=database_kinds())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, and a PostgreSQL schema when configured."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def twilio_mock_url() -> Iterator[str]:
    """Prism serving Twilio's own OpenAPI description on 127.0.0.1 (one per test session).

    Outside CI a machine without the shared/ folder or npm skips these tests; in CI they fail.
    """
    from tests.support.servers import prism_mock

    try:
        context = prism_mock()
        url = context.__enter__()
    except FileNotFoundError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Twilio mock unavailable: {exc}")
    try:
        yield url
    finally:
        context.__exit__(None, None, None)


@pytest.fixture
def twilio_like() -> Iterator[TwilioLikeServer]:
    """A scripted Twilio-like server on 127.0.0.1 that records what it accepted."""
    with TwilioLikeServer() as server:
        yield server

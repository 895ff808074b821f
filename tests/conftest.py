"""Shared fixtures: a clean environment, sample projects, stores on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from reminder.cli import app
from reminder.cli.app import State
from reminder.clock import Clock, ScaledClock
from tests.factories import ProjectFiles
from tests.support.servers import TwilioLikeServer

REPO = Path(__file__).resolve().parent.parent
PG_URL_VARIABLE = "REMINDER_TEST_DATABASE_URL"


FULL_NUMBER = re.compile(r"\+\d{10,15}")
SECRETS = ("test-auth-token-not-a-secret", "s3cr3t-token-value")


@pytest.fixture(autouse=True)
def _nothing_sensitive_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Across the whole suite: no full phone number and no auth token in any log record."""
    caplog.set_level(logging.INFO)
    yield
    for when in ("setup", "call", "teardown"):
        for record in caplog.get_records(when):
            text = record.getMessage()
            assert not FULL_NUMBER.search(text), f"unmasked number logged: {text}"
            assert not any(secret in text for secret in SECRETS), f"secret logged: {text}"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No REMINDER_* or TWILIO_* variable leaks in; every test runs in its own directory."""
    for name in list(os.environ):
        if name.startswith(("REMINDER_", "TWILIO_")) and name != PG_URL_VARIABLE:
            monkeypatch.delenv(name)
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


def _store_params() -> list[object]:
    params: list[object] = ["sqlite"]
    params.append(
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not os.environ.get(PG_URL_VARIABLE), reason=f"{PG_URL_VARIABLE} is not set"
            ),
        )
    )
    return params


@pytest.fixture(params=_store_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, and a PostgreSQL schema when configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = os.environ[PG_URL_VARIABLE]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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

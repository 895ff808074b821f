"""config.example.yaml is a valid config: every setting it shows is one the engine takes; the
retry figures it and the README give are the code's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from reminder.delivery.gateways.base import DeliveryPolicy
from tests.conftest import REPO


def test_the_example_config_validates(
    cli: Any, sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(REPO / "config.example.yaml", sample / "config.yaml")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", "MG" + "0" * 32)
    result = cli("--config", sample / "config.yaml", "validate")
    assert result.exit_code == 0, result.output
    text = (
        (sample / "config.yaml")
        .read_text(encoding="utf-8")
        .replace("gateway: console", "gateway: twilio")
    )
    (sample / "config.yaml").write_text(text, encoding="utf-8")
    result = cli("--config", sample / "config.yaml", "validate")
    assert result.exit_code == 0, result.output
    assert "通道 twilio" in result.output  # the example config speaks Chinese


def test_the_retry_figures_in_the_docs_are_the_code_s_defaults() -> None:
    """README and config.example.yaml give the retry defaults of `DeliveryPolicy` (the README once
    said "retried up to three times" while 5 attempts were allowed)."""
    policy = DeliveryPolicy()
    attempts, deadline = policy.max_attempts, int(policy.retry_deadline_seconds)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"(default {attempts}: the first try and up to {attempts - 1} retries)" in readme
    assert f"max_attempts: {attempts}  " in readme
    assert f"a transient error is retried up to {attempts - 1} times" in readme
    assert f"`delivery.retry_deadline_seconds` (default {deadline})" in readme
    assert f"retry_deadline_seconds: {deadline}  " in readme
    example = (REPO / "config.example.yaml").read_text(encoding="utf-8")
    assert f"max_attempts: {attempts}  " in example
    assert f"首次发送加最多 {attempts - 1} 次重试" in example
    assert f"retry_deadline_seconds: {deadline}  " in example
    said = re.findall(r"(?:retried|retries) up to (\w+)|up to (\w+) (?:retries|times)", readme)
    assert {a or b for a, b in said} == {str(attempts - 1)}, said

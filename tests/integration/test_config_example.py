"""config.example.yaml is a valid config: every setting it shows is one the engine takes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

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
    assert "gateway twilio" in result.output

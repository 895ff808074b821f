"""`reminder send` of the sample campaign through the Tencent Cloud SMS fake: template codes
and parameters on the wire, every message once, receipts back through the receipt server, and
a missing key refused in one line before anything is sent."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reminder.store import open_store
from tests.support.tencent_fake import SAMPLE_TEMPLATES, SECRET_ID, SECRET_KEY, TencentFake
from tests.support.tencent_fake import sample_config as tencent_config


@pytest.fixture
def fake() -> Any:
    with TencentFake() as server:
        yield server


def _configure(sample: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TENCENT_SECRET_ID", SECRET_ID)
    monkeypatch.setenv("TENCENT_SECRET_KEY", SECRET_KEY)
    config = sample / "config.yaml"
    config.write_text(
        "database_url: sqlite:///reminder.db\n" + tencent_config(url), encoding="utf-8"
    )
    return config


def test_the_sample_campaign_goes_out_as_template_codes(
    cli: Any, sample: Path, fake: TencentFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _configure(sample, fake.url, monkeypatch)
    result = cli(
        "--config",
        config,
        "send",
        "spring-festival",
        "--date",
        "2027-01-30",
        "--yes",
        "--ignore-quiet-hours",
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sent"] == report["planned"] == 65
    assert fake.recorded.bad_signatures == 0
    numbers = Counter(item["PhoneNumber"] for item in fake.recorded.accepted)
    assert len(numbers) == 65 and max(numbers.values()) == 1
    codes = {code for code, _text, _params in SAMPLE_TEMPLATES.values()}
    assert {item["TemplateId"] for item in fake.recorded.accepted} <= codes
    assert all(item["SignName"] == "某某市纪委监委" for item in fake.recorded.accepted)
    store = open_store(f"sqlite:///{sample / 'reminder.db'}")
    try:
        messages = store.messages()
        serials = {item["SerialNo"] for item in fake.recorded.accepted}
        assert {m.provider_id for m in messages} == serials
        assert {m.status for m in messages} == {"sent"}
    finally:
        store.close()
    sync = cli("--config", config, "sync", "--older-than", "0")
    assert sync.exit_code == 0, sync.output
    store = open_store(f"sqlite:///{sample / 'reminder.db'}")
    try:
        assert {m.status for m in store.messages()} == {"delivered"}, "pulled reports applied"
    finally:
        store.close()


def test_a_missing_key_is_one_line_naming_the_gateway_and_variable(
    cli: Any, sample: Path, fake: TencentFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _configure(sample, fake.url, monkeypatch)
    monkeypatch.delenv("TENCENT_SECRET_KEY")
    result = cli(
        "--config",
        config,
        "send",
        "spring-festival",
        "--date",
        "2027-01-30",
        "--yes",
        "--ignore-quiet-hours",
    )
    assert result.exit_code != 0
    assert "gateways.tencent.secret_key" in result.output
    assert "TENCENT_SECRET_KEY" in result.output and "Traceback" not in result.output
    assert fake.recorded.requests == []


def test_a_value_too_long_for_the_template_fails_send_before_anything_is_sent(
    cli: Any, sample: Path, fake: TencentFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _configure(sample, fake.url, monkeypatch)
    text = config.read_text(encoding="utf-8").replace(
        "max_param_length: 120", "max_param_length: 3"
    )
    config.write_text(text, encoding="utf-8")
    result = cli(
        "--config",
        config,
        "send",
        "spring-festival",
        "--date",
        "2027-01-30",
        "--yes",
        "--ignore-quiet-hours",
    )
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert (
        "config.yaml:" in flat and "gateways.tencent.templates.spring_daily.j2: parameter" in flat
    )
    assert "over tencent's limit of 3" in flat and "nothing was sent" in flat
    assert fake.recorded.requests == []
    assert not (sample / "reminder.db").exists()

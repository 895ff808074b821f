"""`reminder validate`, `preview` and `send` on the sample campaigns through the Aliyun fake:
the template mapping checked before anything is sent (exit 2, the config file and line), the
phone's text previewed, every message of an occurrence accepted once, and a missing credential
reported in one line (exit 1) with nothing sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.aliyun_fake import (
    SAMPLE_TEMPLATES,
    AliyunFake,
    sample_config,
    sample_env,
    sample_fake,
)

MORNING = datetime(2027, 1, 30, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def fake() -> Iterator[AliyunFake]:
    with sample_fake() as server:
        yield server


@pytest.fixture
def project(sample: Path, fake: AliyunFake, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in sample_env().items():
        monkeypatch.setenv(key, value)
    (sample / "config.yaml").write_text(sample_config(fake.url), encoding="utf-8")
    return sample / "config.yaml"


def rewrite(config: Path, fake: AliyunFake, **changes: Any) -> None:
    templates = dict(SAMPLE_TEMPLATES)
    for name, value in changes.items():
        name = name.replace("_j2", ".j2")
        if value is None:
            del templates[name]
        else:
            templates[name] = value
    config.write_text(sample_config(fake.url, templates=templates), encoding="utf-8")


def test_the_sample_mapping_validates(cli: Any, project: Path) -> None:
    result = cli("--config", project, "validate")
    assert result.exit_code == 0, result.output


def line_of(config: Path, text: str) -> int:
    return next(n for n, line in enumerate(config.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"back_to_work_j2": None},
            "template 'back_to_work.j2' has no aliyun template",
        ),
        (
            {
                "back_to_work_j2": (
                    "SMS_460003",
                    "${name}${x}",
                    {"name": "contact_name", "x": "nope"},
                )
            },
            "parameter 'x' names 'nope', which the template context does not provide",
        ),
        (
            {
                "back_to_work_j2": ("SMS_460003", "${x}", {"x": "organisation"}),
                "spring_daily_j2": ("SMS_460001", "${s}", {"s": "case_summary"}),
            },
            "over aliyun's limit of 35",
        ),
    ],
    ids=["unmapped", "unknown-variable", "too-long"],
)
def test_validate_fails_on_the_mapping_naming_file_and_line(
    cli: Any, project: Path, fake: AliyunFake, change: dict[str, Any], expected: str
) -> None:
    rewrite(project, fake, **change)
    result = cli("--config", project, "validate")
    assert result.exit_code == 2, result.output
    assert expected in result.output
    where = "    templates:" if "unmapped" in expected or "no aliyun" in expected else None
    if where is None:
        name = "back_to_work.j2" if "names" in expected else "spring_daily.j2"
        where = f"      {name}:"
    assert f"config.yaml:{line_of(project, where)}:" in result.output
    assert fake.seen.actions == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"spring_daily_j2": None}, "template 'spring_daily.j2' has no aliyun template"),
        (
            {"spring_daily_j2": ("SMS_460001", "${name}${x}", {"name": "contact_name", "x": "n"})},
            "templates.spring_daily.j2: parameter 'x' names 'n', which the template context "
            "does not provide",
        ),
        (
            {"spring_daily_j2": ("SMS_460001", "${s}", {"s": "case_summary"})},
            "templates.spring_daily.j2: parameter 's' (case_summary) is",
        ),
        (
            {"spring_daily_j2": ("SMS_460001", "${name}", {"name": "contact_name", "x": "name"})},
            "templates.spring_daily.j2: the text's variables ['name'] and params ['name', 'x'] "
            "differ",
        ),
    ],
    ids=["unmapped", "unknown-variable", "too-long", "not-in-the-text"],
)
def test_send_checks_the_mapping_before_anything_is_sent(
    cli: Any, project: Path, fake: AliyunFake, change: dict[str, Any], expected: str
) -> None:
    rewrite(project, fake, **change)
    for extra in ((), ("--dry-run",)):
        result = cli.at(MORNING)(
            "--config", project, "send", "spring-festival", "--date", "2027-01-30", "--yes", *extra
        )
        assert result.exit_code == 2, result.output
        assert expected in " ".join(result.output.split()), result.output
        assert "config.yaml:" in result.output and "nothing was sent" in result.output
    assert fake.seen.actions == []
    assert not (project.parent / "reminder.db").exists()


def test_preview_shows_what_the_phone_shows(cli: Any, project: Path) -> None:
    result = cli(
        "--config",
        project,
        "preview",
        "spring-festival",
        "--date",
        "2027-01-30",
        "--push",
        "daily-leading",
        "--limit",
        "1",
    )
    assert result.exit_code == 0, result.output
    flat = "".join(result.output.split())
    assert "【某某市纪委监委】" in flat and "廉洁提醒第" in flat and "监督举报电话12388" in flat
    assert "{{" not in flat and "${" not in flat


def test_send_through_the_fake_reaches_every_contact_once(
    cli: Any, project: Path, fake: AliyunFake
) -> None:
    result = cli.at(MORNING)(
        "--config", project, "send", "spring-festival", "--date", "2027-01-30", "--yes"
    )
    assert result.exit_code == 0, result.output
    phones = [a.phone for a in fake.seen.accepted]
    assert len(phones) == len(set(phones)) > 30
    assert fake.seen.bad_signatures == 0
    assert all(a.content.startswith("【某某市纪委监委】") for a in fake.seen.accepted)
    again = cli.at(MORNING)(
        "--config", project, "send", "spring-festival", "--date", "2027-01-30", "--yes"
    )
    assert again.exit_code == 0 and len(fake.seen.accepted) == len(phones)


def test_a_missing_credential_is_one_line_and_nothing_is_sent(
    cli: Any, project: Path, fake: AliyunFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALIYUN_ACCESS_KEY_SECRET")
    result = cli.at(MORNING)(
        "--config", project, "send", "spring-festival", "--date", "2027-01-30", "--yes"
    )
    assert result.exit_code == 1
    assert (
        "the aliyun gateway cannot send: environment variable ALIYUN_ACCESS_KEY_SECRET is not "
        "set (sample/config.yaml: gateways.aliyun.access_key_secret names it)" in result.output
    )
    assert "Traceback" not in result.output and fake.seen.actions == []

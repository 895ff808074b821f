"""`reminder init` gives a folder that validates and dry-runs at once, from a wheel install."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli_subprocess import run


def test_init_then_validate_then_dry_run(tmp_path: Path) -> None:
    created = run(tmp_path, "init", "office")
    assert created.returncode == 0, created.stderr
    assert "wrote office/contacts/contacts.xlsx" in created.stdout
    config = "office/config.yaml"
    valid = run(tmp_path, "--config", config, "validate")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    # The starter config says `language: zh-CN`: the office works in Chinese from the start.
    assert "language: zh-CN" in (tmp_path / config).read_text(encoding="utf-8")
    assert "干部 3 人，家属 1 人" in valid.stdout and "全部有效" in valid.stdout
    dry = run(
        tmp_path,
        "--config",
        config,
        "send",
        "spring-festival",
        "--date",
        "2027-01-30",
        "--dry-run",
        "--json",
    )
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True and report["pushes"][0]["audience"] == 2
    assert not (tmp_path / "office" / "reminder.db").exists()
    again = run(tmp_path, "init", "office")
    assert again.returncode == 2 and "--force" in again.stderr

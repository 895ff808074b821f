"""Every time a person reads is in the campaign's (or the config's) zone, with the zone shown:
`reminder log` and `reminder suppress list` (the daemon: tests/unit/test_logging.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from freezegun import freeze_time


@freeze_time("2027-01-30 00:31:00")  # 08:31 in Shanghai
def test_log_shows_times_in_the_zone_and_names_it(cli: Any, sample: Path) -> None:
    config = sample / "config.yaml"
    sent = cli("--config", config, "send", "spring-festival", "--push", "family-greeting")
    assert sent.exit_code == 0, sent.output
    table = cli("--config", config, "log", "--limit", "3")
    assert table.exit_code == 0, table.output
    assert "(Asia/Shanghai)" in table.output
    assert "2027-01-30 08:31" in table.output
    rows = json.loads(cli("--config", config, "log", "--json", "--limit", "1").stdout)
    assert rows[0]["updated_at"] == "2027-01-30T08:31:00+08:00"


@freeze_time("2027-01-30 00:31:00")
def test_suppress_list_shows_times_in_the_zone_and_names_it(cli: Any, sample: Path) -> None:
    config = sample / "config.yaml"
    assert cli("--config", config, "suppress", "add", "13800130002").exit_code == 0
    table = cli("--config", config, "suppress", "list")
    assert table.exit_code == 0, table.output
    assert "(Asia/Shanghai)" in table.output
    assert "2027-01-30 08:31" in table.output
    rows = json.loads(cli("--config", config, "suppress", "list", "--json").stdout)
    assert rows[0]["since"] == "2027-01-30T08:31:00+08:00"

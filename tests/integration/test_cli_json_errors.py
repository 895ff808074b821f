"""Under `--json`, an error is a JSON object (`error`, `exit_code`) on standard output, and the
exit code is the same as without it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_an_error_under_json_is_a_json_object(cli: Any, sample: Path) -> None:
    config = sample / "config.yaml"
    plain = cli("--config", config, "schedule", "--campaign", "no-such-campaign")
    result = cli("--config", config, "schedule", "--campaign", "no-such-campaign", "--json")
    assert result.exit_code == plain.exit_code != 0
    error = json.loads(result.stdout)
    assert error["exit_code"] == result.exit_code
    assert "no-such-campaign" in error["error"]
    backwards = cli(
        "--config", config, "schedule", "--from", "2027-02-01", "--to", "2027-01-01", "--json"
    )
    assert backwards.exit_code == 2 and json.loads(backwards.stdout)["exit_code"] == 2

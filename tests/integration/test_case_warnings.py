"""`reminder validate` warns when a pool is too small to keep the case rule for someone, and
`reminder cases usage` works before anything was sent."""

from __future__ import annotations

import json
from typing import Any

from tests.factories import DAYTIME, ProjectFiles, cadre, spouse


def about(number: int, surname: str, *tags: str) -> dict[str, Any]:
    return {
        "id": f"k{number:02d}",
        "title": f"案例{number}",
        "summary": f"某局处长{surname}某违规收受礼金。",
        "year": 2024,
        "tags": list(tags) or ["festival"],
    }


def test_validate_warns_when_every_case_is_about_a_recipients_surname(
    cli: Any, files: ProjectFiles
) -> None:
    files.write(
        contacts=[cadre(1, name="朱平"), cadre(2, name="王强"), spouse(1, of=1)],
        cases=[about(1, "朱"), about(2, "朱")],
    )
    done = cli.at(DAYTIME)("--config", files.config_path, "validate")
    assert done.exit_code == 0, done.output
    assert "everything is valid" in done.stdout
    warning = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1, done.stderr
    assert "campaigns/test.yaml" in warning[0] and "push 'daily'" in warning[0]
    assert "c001 朱平" in warning[0] and "f001 家属1" in warning[0]  # a spouse: the cadre's name
    assert "c002" not in warning[0]


def test_validate_warns_when_a_spouse_has_one_case_left(cli: Any, files: ProjectFiles) -> None:
    files.write(
        contacts=[cadre(1, name="朱平"), spouse(1, of=1)],
        cases=[about(1, "朱"), about(2, "王")],
    )
    done = cli.at(DAYTIME)("--config", files.config_path, "validate")
    assert done.exit_code == 0, done.output
    assert "leaves f001 家属1 at most one case" in done.stderr


def test_a_pool_that_keeps_the_rule_gives_no_warning(cli: Any, files: ProjectFiles) -> None:
    files.write(contacts=[cadre(1, name="朱平"), spouse(1, of=1)])
    done = cli.at(DAYTIME)("--config", files.config_path, "validate")
    assert done.exit_code == 0 and "warning" not in done.stderr, done.output


def test_cases_usage_before_anything_was_sent(cli: Any, files: ProjectFiles) -> None:
    files.write()
    done = cli.at(DAYTIME)("--config", files.config_path, "cases", "usage", "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["year"] == 2027
    assert [(u["id"], u["sent"]) for u in report["cases"]] == [(f"k0{i}", 0) for i in range(1, 6)]
    assert report["exhausted"] == [{"campaign": "test", "push": "daily", "pool": 5, "contacts": []}]
    assert not files.database.exists(), "reading usage creates no store"
    table = cli.at(DAYTIME)("--config", files.config_path, "cases", "usage")
    assert "k01" in table.stdout and "0 people have read every case" in table.stdout

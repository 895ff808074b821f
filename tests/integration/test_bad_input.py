"""Every kind of bad input: a clear `file:line: message` (or `file: field: message`), exit 2,
no traceback, nothing written to the store and nothing sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.factories import ProjectFiles, cadre, push, spouse

Breaker = Callable[[ProjectFiles], Any]


def campaign_with(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "test",
        "name": "测试活动",
        "festival": "spring_festival",
        "window": {"start": "2027-01-30", "end": "2027-02-20"},
        "pushes": [push(cases="all")],
    }
    base.update(changes)
    return base


CASES: list[tuple[str, Breaker, str]] = [
    # --- config (item 2)
    (
        "config yaml syntax",
        lambda f: f.text("config.yaml", "gateway: [file\n"),
        "config.yaml:2: invalid YAML",
    ),
    (
        "config unknown field",
        lambda f: f.text("config.yaml", "gateway: file\ncolour: red\n"),
        "config.yaml:2: colour: unknown field",
    ),
    (
        "config missing variable",
        lambda f: f.text("config.yaml", "gateway: file\nhotline: ${REMINDER_NO_SUCH}\n"),
        "config.yaml:2: hotline: environment variable REMINDER_NO_SUCH is not set",
    ),
    (
        "config bad zone",
        lambda f: f.text("config.yaml", "timezone: Mars/Olympus\n"),
        "config.yaml:1: timezone: unknown time zone 'Mars/Olympus'",
    ),
    (
        "config unknown gateway",
        lambda f: f.text("config.yaml", "gateway: pigeon\n"),
        "config.yaml:1: gateway: unknown gateway 'pigeon'",
    ),
    (
        "config gateway setting",
        lambda f: f.text("config.yaml", "gateway: file\ngateways:\n  file:\n    paht: x.jsonl\n"),
        "config.yaml:4: gateways.file.paht: unknown field",
    ),
    (
        "config literal secret",
        lambda f: f.text(
            "config.yaml",
            "gateway: twilio\ngateways:\n  twilio:\n"
            "    account_sid: AC00000000000000000000000000000000\n"
            "    auth_token: hunter2\n    from_number: '+15005550006'\n",
        ),
        "config.yaml:5: gateways.twilio.auth_token: is a secret",
    ),
    # --- contacts (item 3)
    (
        "invalid phone",
        lambda f: f.write(contacts=[cadre(1, phone="1234")]),
        "contacts/people.yaml:2: phone: '1234' is not a valid phone number",
    ),
    (
        "duplicate phone",
        lambda f: f.write(contacts=[cadre(1), cadre(2, phone="+86 138 0013 0001")]),
        "people.yaml:8: duplicate phone number (also at project/contacts/people.yaml:2)",
    ),
    (
        "duplicate id",
        lambda f: f.write(contacts=[cadre(1), {**cadre(2), "id": "c001"}]),
        "contacts/people.yaml:8: duplicate contact id 'c001'",
    ),
    (
        "dangling family_of",
        lambda f: f.write(contacts=[cadre(1), spouse(1, of=7)]),
        "contacts/people.yaml:8: family_of: no contact has id 'c007'",
    ),
    (
        "unknown rank",
        lambda f: f.write(contacts=[cadre(1, rank="general")]),
        "contacts/people.yaml:2: rank: unknown rank 'general'",
    ),
    (
        "unknown contact field",
        lambda f: f.write(contacts=[cadre(1, email="a@b.c")]),
        "contacts/people.yaml:2: email: unknown field",
    ),
    (
        "csv bad row",
        lambda f: f.text("contacts/more.csv", "id,name,phone\nx1,张三,13800138000\nx2,李四,999\n"),
        "contacts/more.csv:3: phone: '999' is not a valid phone number",
    ),
    (
        "csv unknown column",
        lambda f: f.text("contacts/more.csv", "id,name,phone,age\n"),
        "contacts/more.csv:1: unknown column(s) age",
    ),
    # --- groups (item 4)
    (
        "unknown group reference",
        lambda f: f.write(groups={"everyone": {"union": ["nobody"]}}),
        "contacts/groups.yaml:2: group 'everyone' refers to unknown group 'nobody'",
    ),
    # --- templates (item 5)
    (
        "template syntax",
        lambda f: f.write(templates={"daily.j2": "你好\n{{ contact.name "}),
        "templates/daily.j2:2: template syntax",
    ),
    (
        "template undefined variable",
        lambda f: f.write(templates={"daily.j2": "你好\n{{ contact.nickname }}"}),
        "templates/daily.j2:2: 'dict object' has no attribute 'nickname'",
    ),
    (
        "template sandbox",
        lambda f: f.write(templates={"daily.j2": "{{ ''.__class__.__mro__ }}"}),
        "templates/daily.j2:1: access to attribute '__class__'",
    ),
    (
        "template changing what every message shares",
        lambda f: f.write(templates={"daily.j2": "你好\n{{ festival.update(name='x') }}"}),
        "templates/daily.j2:2: access to attribute 'update' of 'dict' object is unsafe",
    ),
    (
        "template missing",
        lambda f: f.write(campaign=campaign_with(pushes=[push(template="no.j2")])),
        "campaigns/test.yaml:11: push 'daily': template 'no.j2' not found",
    ),
    (
        "segment cap",
        lambda f: f.write(
            campaign=campaign_with(pushes=[push(max_segments=1)]), templates={"daily.j2": "廉" * 80}
        ),
        "campaigns/test.yaml:13: push 'daily': the message for c001 on 2027-0",
    ),
    # --- cases (item 6)
    (
        "case missing field",
        lambda f: f.write(cases=[{"id": "k1", "title": "t", "year": 2024}]),
        "cases/cases.yaml:2: summary: Field required",
    ),
    (
        "unknown case id",
        lambda f: f.write(campaign=campaign_with(pushes=[push(cases={"ids": ["k99"]})])),
        "campaigns/test.yaml:13: push 'daily': unknown case id(s) k99",
    ),
    (
        "case used but push has none",
        lambda f: f.write(
            campaign=campaign_with(pushes=[push()]), templates={"daily.j2": "{{ case.title }}"}
        ),
        "templates/daily.j2:1: 'case' is undefined",
    ),
    # --- campaigns (item 7)
    (
        "window reversed",
        lambda f: f.write(
            campaign=campaign_with(window={"start": "2027-02-20", "end": "2027-01-30"})
        ),
        "campaigns/test.yaml:4: window (2027): window end 2027-01-30 (2027-01-30) is before "
        "its start",
    ),
    (
        "unknown festival",
        lambda f: f.write(campaign=campaign_with(festival="christmas")),
        "campaigns/test.yaml:3: festival: Input should be",
    ),
    (
        "unknown audience group",
        lambda f: f.write(campaign=campaign_with(pushes=[push(audience=["everyone", "ghosts"])])),
        "campaigns/test.yaml:11: push 'daily': unknown group 'ghosts'",
    ),
    (
        "duplicate push ids",
        lambda f: f.write(campaign=campaign_with(pushes=[push(), push()])),
        "two pushes have the id 'daily'",
    ),
    (
        "send time in quiet hours",
        lambda f: f.write(campaign=campaign_with(pushes=[push(send_at="23:00")])),
        "campaigns/test.yaml:12: push 'daily': send_at 23:00 falls in the quiet hours 21:30–07:30",
    ),
    (
        "ack duration",
        lambda f: f.write(
            campaign=campaign_with(pushes=[push(ack={"keywords": ["1"], "within": "soon"})])
        ),
        "campaigns/test.yaml:16: pushes.0.ack.within: write a duration such as",
    ),
    (
        "ack too long",
        lambda f: f.write(
            campaign=campaign_with(pushes=[push(ack={"keywords": ["1"], "within": "8d"})])
        ),
        "pushes.0.ack.within: an answer may be awaited for up to 7 days",
    ),
    (
        "ack keywords that are the same",
        lambda f: f.write(campaign=campaign_with(pushes=[push(ack={"keywords": ["1", "１"]})])),
        "pushes.0.ack: two keywords are the same once spaces and width are ignored",
    ),
    (
        "ack instruction without a question",
        lambda f: f.write(templates={"daily.j2": "你好，{{ ack }}"}),
        "templates/daily.j2:1: 'ack' is undefined",
    ),
    (
        "follow-up of a push that asks nothing",
        lambda f: f.write(
            campaign=campaign_with(
                pushes=[push(), push("again", audience={"not_acknowledged": "daily"})]
            )
        ),
        "push 'again' follows 'daily', which is no push of this campaign that asks for an answer",
    ),
    (
        "campaign unknown field",
        lambda f: f.write(campaign=campaign_with(colour="red")),
        "campaigns/test.yaml:14: colour: unknown field",
    ),
]


@pytest.mark.parametrize(("name", "breaker", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported_and_nothing_is_written(
    cli: Any, files: ProjectFiles, name: str, breaker: Breaker, expected: str
) -> None:
    files.write()
    breaker(files)
    for command in (["validate"], ["send", "test", "--date", "2027-02-01", "--yes"]):
        result = cli("--config", files.config_path, *command)
        assert result.exit_code == 2, result.output
        assert expected in result.output, result.output
        assert "Traceback" not in result.output
        assert "nothing was sent" in result.output
    assert not files.database.exists()
    assert not files.outbox.exists()


def test_a_secret_variable_not_set_is_a_problem_of_the_environment(
    cli: Any, files: ProjectFiles
) -> None:
    """Not of the files: exit 1 (an operational error), one line naming gateway and variable;
    a problem of the files is still reported first, with exit 2."""
    files.write()
    twilio = (
        "gateway: twilio\ngateways:\n  twilio:\n"
        "    account_sid: AC00000000000000000000000000000000\n"
        "    auth_token: ${TWILIO_AUTH_TOKEN}\n    from_number: '+15005550006'\n"
    )
    files.text("config.yaml", twilio)
    for command in (["validate"], ["send", "test", "--date", "2027-02-01", "--yes"]):
        result = cli("--config", files.config_path, *command)
        assert result.exit_code == 1, result.output
        assert (
            "the twilio gateway cannot send: environment variable TWILIO_AUTH_TOKEN is not set"
            in result.output
        )
        assert "config.yaml: gateways.twilio.auth_token names it)" in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    files.text("config.yaml", twilio + "    no_such_key: 1\n")
    result = cli("--config", files.config_path, "validate")
    assert result.exit_code == 2 and "no_such_key: unknown field" in result.output, result.output
    assert not files.database.exists()
    assert not files.outbox.exists()


def test_all_problems_are_reported_at_once(cli: Any, files: ProjectFiles) -> None:
    files.write(
        contacts=[cadre(1, phone="1"), cadre(2, rank="general")], templates={"daily.j2": "{{ oops"}
    )
    result = cli("--config", files.config_path, "validate")
    assert result.exit_code == 2
    assert "people.yaml:2: phone" in result.output
    assert "people.yaml:8: rank" in result.output
    assert "templates/daily.j2:1: template syntax" in result.output
    assert "3 problems found" in result.output


def test_secret_values_never_appear_in_errors(
    cli: Any, files: ProjectFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "s3cr3t-token-value")
    files.write()
    files.text(
        "config.yaml",
        "gateway: twilio\ngateways:\n  twilio:\n"
        "    account_sid: not-a-sid\n    auth_token: ${TWILIO_AUTH_TOKEN}\n",
    )
    result = cli("--config", files.config_path, "validate")
    assert result.exit_code == 2
    assert "account_sid" in result.output
    assert "s3cr3t" not in result.output


def test_explicit_config_that_does_not_exist(cli: Any, files: ProjectFiles) -> None:
    result = cli("--config", files.root / "nope.yaml", "validate")
    assert result.exit_code == 2
    assert "does not exist" in result.output

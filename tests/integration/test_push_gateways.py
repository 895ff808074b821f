"""A push's own gateways through the application core: names checked against the configured
gateways (file and line), failover to the next gateway when the first stops, the store and
the send summary saying which gateway carried each message."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from reminder.clock import FixedClock
from reminder.core.app import App
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.errors import GatewayStoppedError, InputError, TemplateRejectedError
from reminder.inputs.config import load_config
from tests.factories import ProjectFiles, push

DAY = date(2027, 2, 1)
MORNING = datetime.combine(DAY, time(8, 30), ZoneInfo("Asia/Shanghai"))


def campaign(**push_fields: object) -> dict[str, object]:
    return {
        "id": "test",
        "name": "测试活动",
        "festival": "spring_festival",
        "window": {"start": "2027-01-30", "end": "2027-02-20"},
        "pushes": [push(cases="all", **push_fields)],
    }


def app_with(files: ProjectFiles, **push_fields: object) -> App:
    files.write(
        campaign=campaign(**push_fields),
        config={"gateways": {"file": {"path": "outbox.jsonl"}, "memory": {}}},
    )
    app = App(load_config(files.config_path), FixedClock(MORNING))
    app.load()
    return app


def test_a_push_naming_an_unconfigured_gateway_is_an_input_error_with_its_line(
    files: ProjectFiles,
) -> None:
    files.write(
        campaign=campaign(gateways=["memory", "aliyun"]),
        config={"gateways": {"file": {"path": "outbox.jsonl"}, "memory": {}}},
    )
    app = App(load_config(files.config_path), FixedClock(MORNING))
    with pytest.raises(InputError) as caught:
        app.load()
    (problem,) = caught.value.problems
    assert problem.file.endswith("test.yaml") and problem.line is not None
    assert "gateway 'aliyun' is not configured" in problem.message
    lines = (files.root / "campaigns" / "test.yaml").read_text(encoding="utf-8").splitlines()
    assert "aliyun" in lines[problem.line - 1]


def test_when_the_first_gateway_stops_the_rest_goes_through_the_next(
    files: ProjectFiles,
) -> None:
    app = app_with(files, gateways=["memory", "file"])
    first = app.gateway_named("memory")
    assert isinstance(first, MemoryGateway)
    first.fail_next(GatewayStoppedError("balance too low", code="isv.AMOUNT_NOT_ENOUGH"))
    with app:
        result = app.send_occurrence("test", DAY)
        (sent,) = result.pushes
        assert sent.sent == 3 and sent.by_gateway == {"file": 3}
        assert any("memory gateway is down" in w for w in sent.warnings)
        assert {m.gateway for m in app.store.messages()} == {"file"}
        assert len(first.attempts) == 1 and first.sent == []


def test_a_rejected_template_is_told_and_the_push_is_not_burned(files: ProjectFiles) -> None:
    app = app_with(files, gateways=["memory"])
    first = app.gateway_named("memory")
    assert isinstance(first, MemoryGateway)
    first.fail_next(TemplateRejectedError("not approved", code="isv.SMS_TEMPLATE_ILLEGAL"))
    with app:
        (sent,) = app.send_occurrence("test", DAY).pushes
        assert len(first.attempts) == 1
        assert sent.failed == 3 and sent.statuses == {"failed": 3}
        assert any("template rejected" in w for w in sent.warnings)
        retried = app.retry(failed=True, campaign="test")
        assert retried.requeued == 3 and retried.dispatched.sent == 3

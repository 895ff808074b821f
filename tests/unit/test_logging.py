import logging

import pytest

from reminder.logsetup import configure_logging


def test_logged_phone_numbers_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(logging.INFO)
    logging.getLogger("reminder.test").warning("sending to %s failed", "+8613812345678")
    err = capsys.readouterr().err
    assert "+86 138****5678" in err
    assert "+8613812345678" not in err


def test_the_twilio_clients_request_lines_are_masked_without_the_command_lines_set_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import reminder.delivery.gateways.twilio  # noqa: F401  (attaches the filter)

    caplog.set_level(logging.INFO, logger="twilio.async_http_client")
    http_log = logging.getLogger("twilio.async_http_client")
    http_log.info("GET Request: https://api.twilio.com/Messages.json?To=%2B8613812345678")
    http_log.info("Query Params: {}".format({"To": "+8613812345678", "PageSize": 50}))
    lines = [r.getMessage() for r in caplog.records if r.name == "twilio.async_http_client"]
    assert lines == [
        "GET Request: https://api.twilio.com/Messages.json?To=+86 138****5678",
        "Query Params: {'To': '+86 138****5678', 'PageSize': 50}",
    ]


def test_log_lines_carry_the_engines_time_in_the_campaign_zone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import UTC, datetime

    from reminder.clock import FixedClock
    from reminder.logsetup import engine_time

    configure_logging(logging.INFO)
    rehearsal = FixedClock(datetime(2027, 1, 30, 0, 29, 58, tzinfo=UTC))  # 08:29:58 in Shanghai
    with engine_time(rehearsal, "Asia/Shanghai"):
        logging.getLogger("reminder.run").info("running")
    logging.getLogger("reminder.run").info("after")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "2027-01-30 08:29:58 (Asia/Shanghai) INFO reminder.run: running"
    assert not lines[1].startswith("2027-01-30"), "the machine's time again once the run is over"

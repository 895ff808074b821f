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

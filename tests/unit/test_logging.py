import logging

import pytest

from reminder.logsetup import configure_logging


def test_logged_phone_numbers_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(logging.INFO)
    logging.getLogger("reminder.test").warning("sending to %s failed", "+8613812345678")
    err = capsys.readouterr().err
    assert "+86 138****5678" in err
    assert "+8613812345678" not in err

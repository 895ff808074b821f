"""Logging for the command line: to standard error, with phone numbers always masked."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from reminder.phones import mask_in_text


class MaskPhones(logging.Filter):
    """Masks any E.164 number in a record, whatever the code that logged it wrote."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of each record."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


_base_factory = logging.getLogRecordFactory()


def _masking_factory(*args: object, **kwargs: object) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    MaskPhones().filter(record)
    return record


def install_masking() -> None:
    """Mask phone numbers in every log record as it is created, whoever handles it."""
    logging.setLogRecordFactory(_masking_factory)


def configure_logging(level: int) -> None:
    """Send the package's logs to standard error at `level`; quiet chatty libraries."""
    install_masking()
    handler = _CurrentStderr()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPhones())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_reminder", False)]:
        root.removeHandler(old)
    handler._reminder = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("twilio", "alembic", "sqlalchemy", "aiohttp", "asyncio", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))

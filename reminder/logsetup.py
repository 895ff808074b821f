"""Logging for the command line: to standard error, with phone numbers always masked."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

from reminder.clock import Clock, local_text
from reminder.phones import mask_in_text

#: The engine's clock and the zone log lines show its time in, while the daemon runs
#: (`engine_time`); else the time of the machine, in its zone.
_engine: tuple[Clock, str] | None = None


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
    if _engine is not None:
        # The time the engine reads when the record is made: simulated in a rehearsal.
        record.engine_at = _engine[0].now()
    return record


class EngineTimeFormatter(logging.Formatter):
    """Stamps each line with the engine's time in the campaigns' zone, the zone shown, while
    `engine_time` holds; else as `logging` does."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        engine = _engine
        if engine is None:
            return super().formatTime(record, datefmt)
        at = getattr(record, "engine_at", None) or datetime.fromtimestamp(record.created, UTC)
        return local_text(at, engine[1], seconds=True)


@contextlib.contextmanager
def engine_time(clock: Clock, zone: str) -> Iterator[None]:
    """While it holds, log lines carry `clock`'s time (a rehearsal's simulated time) in
    `zone`, with the zone shown."""
    global _engine
    saved, _engine = _engine, (clock, zone)
    try:
        yield
    finally:
        _engine = saved


def install_masking() -> None:
    """Mask phone numbers in every log record as it is created, whoever handles it."""
    logging.setLogRecordFactory(_masking_factory)


def configure_logging(level: int) -> None:
    """Send the package's logs to standard error at `level`; quiet chatty libraries."""
    install_masking()
    handler = _CurrentStderr()
    handler.setFormatter(EngineTimeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPhones())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_reminder", False)]:
        root.removeHandler(old)
    handler._reminder = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("twilio", "alembic", "sqlalchemy", "aiohttp", "asyncio", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))

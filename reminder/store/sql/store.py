"""`SqlStore`: the store contract on SQLite or PostgreSQL, and `open_store`.

The queries live in one module per concern (planning, claims, moves, receipts,
controls, reads, reports); this class joins them over one engine.
"""

from __future__ import annotations

from typing import Self

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from reminder.errors import OperationalError
from reminder.i18n import _
from reminder.store import migrate
from reminder.store.contract import Store
from reminder.store.engine import make_engine, without_password
from reminder.store.sql.cases import CaseQueries
from reminder.store.sql.claims import ClaimQueries
from reminder.store.sql.controls import ControlQueries
from reminder.store.sql.governance import GovernanceQueries
from reminder.store.sql.moves import MoveQueries
from reminder.store.sql.planning import PlanningQueries
from reminder.store.sql.reads import ReadQueries
from reminder.store.sql.receipts import ReceiptQueries
from reminder.store.sql.replies import ReplyQueries
from reminder.store.sql.reports import ReportQueries
from reminder.store.sql.sessions import SessionQueries


class SqlStore(
    PlanningQueries,
    ClaimQueries,
    MoveQueries,
    ReceiptQueries,
    ControlQueries,
    ReadQueries,
    ReportQueries,
    CaseQueries,
    GovernanceQueries,
    ReplyQueries,
    SessionQueries,
    Store,
):
    """Messages and delivery events in a SQL database; the truth about what was planned and
    sent (the contract: `reminder.store.contract.Store`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(url: str, *, migrate_schema: bool = True) -> SqlStore:
    """Open the store at `url`, bringing its schema up to date unless told not to."""
    engine = make_engine(url)
    try:
        if migrate_schema:
            migrate.upgrade(engine)
        elif migrate.current_revision(engine) is None:
            engine.dispose()
            raise OperationalError(_("the database has no reminder schema yet"))
    except SQLAlchemyError as exc:
        engine.dispose()
        raise OperationalError(
            _("cannot open the store at {url}: {kind}: {error}").format(
                url=without_password(url),
                kind=exc.__class__.__name__,
                error=getattr(exc, "orig", exc),
            )
        ) from None
    return SqlStore(engine)

"""The gateway's view of a stored message (`outgoing`): read from the columns an instance holds,
or through its attributes when it does not hold them all."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, create_engine

from reminder.delivery.gateways.base import OutgoingMessage
from reminder.delivery.reconcile import outgoing
from reminder.store import Message, NewMessage, Selection, open_store

DAY = date(2027, 2, 1)
NOW = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)


def _by_attributes(message: Message) -> OutgoingMessage:
    assert message.id is not None
    return OutgoingMessage(
        message_id=message.id,
        campaign=message.campaign,
        push=message.push,
        occurrence=message.occurrence,
        contact_id=message.contact_id,
        to=message.recipient,
        body=message.body,
        segments=message.segments,
        template=message.template,
        variables=dict(message.variables),
    )


def test_a_claimed_message_reaches_the_gateway_as_stored(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    store.add_planned_batches(
        [
            [
                NewMessage(
                    "spring",
                    "daily",
                    DAY,
                    "c001",
                    "+8613800135678",
                    "【测试】张三同志：节日廉洁提醒。",
                    1,
                    "UCS-2",
                    "daily.j2",
                    {"name": "张三", "day": "3"},
                    None,
                )
            ]
        ],
        NOW,
    )
    [message] = store.claim_batch(Selection("spring"), "memory", "me", NOW, limit=10)
    seen = outgoing(message)

    assert seen == _by_attributes(message)
    assert (seen.to, seen.body, seen.variables) == (
        "+8613800135678",
        "【测试】张三同志：节日廉洁提醒。",
        {"name": "张三", "day": "3"},
    )
    seen.variables["name"] = "changed"  # the gateway's copy, not the stored message's
    assert message.variables == {"name": "张三", "day": "3"}
    store.close()


def test_a_message_not_holding_every_column_is_read_through_its_attributes(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'orm.db'}")
    Message.metadata.create_all(engine, tables=[Message.__table__])  # type: ignore[attr-defined]
    with Session(engine) as session:
        message = Message(
            campaign="spring",
            push="daily",
            occurrence=DAY,
            contact_id="c002",
            recipient="+8613900135678",
            body="【测试】家属节日提醒",
            segments=1,
            encoding="UCS-2",
            template="family.j2",
            variables={"name": "李四"},
            status="planned",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(message)
        session.commit()
        session.expire(message, ["body", "variables"])  # loaded again only when read
        assert "body" not in message.__dict__

        seen = outgoing(message)

        assert seen.body == "【测试】家属节日提醒"
        assert seen.variables == {"name": "李四"}
        assert seen == _by_attributes(message)
    engine.dispose()

import pytest

from reminder.status import FINAL, Status, can_move


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        (Status.planned, Status.sending, True),
        (Status.planned, Status.skipped, True),
        (Status.sending, Status.sent, True),
        (Status.sending, Status.failed, True),
        (Status.sent, Status.delivered, True),
        (Status.sent, Status.undelivered, True),
        (Status.sent, Status.sending, False),
        (Status.sending, Status.planned, False),
        (Status.delivered, Status.sent, False),
        (Status.failed, Status.delivered, False),
        (Status.delivered, Status.failed, False),
        (Status.sent, Status.sent, False),
    ],
)
def test_status_moves_only_forward(old: Status, new: Status, allowed: bool) -> None:
    assert can_move(old, new) is allowed


def test_no_status_leaves_a_final_one() -> None:
    for final in FINAL:
        assert not any(can_move(final, other) for other in Status)

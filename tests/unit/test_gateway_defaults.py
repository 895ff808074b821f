"""A provider's own pace applies to every `delivery:` key the config leaves out: Twilio sends
one segment a second unless the config says otherwise, and `null` lifts the limit."""

from __future__ import annotations

from typing import Any

import pytest

from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN


def twilio(delivery: dict[str, Any] | None) -> TwilioGateway:
    values: dict[str, Any] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": "+15005550006",
    }
    if delivery is not None:
        values["delivery"] = delivery
    return TwilioGateway(TwilioSettings.model_validate(values))


@pytest.mark.parametrize(
    ("delivery", "segments", "messages", "concurrency"),
    [
        (None, 1.0, None, 8),
        ({}, 1.0, None, 8),
        ({"concurrency": 2}, 1.0, None, 2),
        ({"segments_per_second": 30}, 30.0, None, 8),
        ({"segments_per_second": None}, None, None, 8),
        ({"messages_per_second": 5}, 1.0, 5.0, 8),
    ],
)
def test_twilio_paces_itself_unless_told(
    delivery: dict[str, Any] | None,
    segments: float | None,
    messages: float | None,
    concurrency: int,
) -> None:
    policy = twilio(delivery).settings.delivery
    assert (policy.segments_per_second, policy.messages_per_second, policy.concurrency) == (
        segments,
        messages,
        concurrency,
    )

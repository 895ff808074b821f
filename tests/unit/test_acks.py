"""Acknowledgement questions: how replies and keywords are compared, and what `ack:` accepts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from reminder.delivery.inbound import is_opt_out
from reminder.inputs.acks import Ack, normalise_reply, parse_duration


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ("1", "1"),
        ("１", "1"),
        (" 1 。", "1"),
        ("1!", "1"),
        ("收到", "收到"),
        ("收 到！", "收到"),
        ("ＯＫ", "ok"),
        ("\u30001\u3000", "1"),
        ("hello", "hello"),
        ("  ", ""),
    ],
)
def test_replies_compare_without_width_spaces_or_punctuation(reply: str, words: str) -> None:
    assert normalise_reply(reply) == words


@pytest.mark.parametrize(
    ("text", "opt_out"),
    [("退订", True), (" 退订 。", True), ("ｔｄ", True), ("stop", True), ("退订了吗", False)],
)
def test_opt_out_words_are_read_the_same_way(text: str, opt_out: bool) -> None:
    assert is_opt_out(text) is opt_out


def test_durations() -> None:
    assert parse_duration("24h") == timedelta(hours=24)
    assert parse_duration(" 90m ") == timedelta(minutes=90)
    assert parse_duration("2d") == timedelta(days=2)
    for bad in ("soon", "4", "-1h", "1.5h"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)


def test_an_ack_and_its_instruction() -> None:
    ack = Ack.model_validate({"keywords": ["收到", "1"], "within": "4h"})
    assert ack.within == timedelta(hours=4)
    assert ack.normalised == {"收到", "1"}
    assert ack.instruction_text() == "回复收到确认"
    own = Ack.model_validate({"keywords": ["1"], "instruction": "回复1确认，谢谢"})
    assert (own.within, own.instruction_text()) == (timedelta(hours=24), "回复1确认，谢谢")


@pytest.mark.parametrize(
    "fields",
    [
        {"keywords": []},
        {"keywords": ["。"]},
        {"keywords": ["1", "１"]},
        {"keywords": ["1"], "within": "8d"},
        {"keywords": ["1"], "within": "0h"},
        {"keywords": ["1"], "colour": "red"},
    ],
)
def test_bad_acks_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Ack.model_validate(fields)


def test_a_commitment_is_kept_per_family_or_per_person() -> None:
    assert Ack.model_validate({"keywords": ["承诺"]}).commitment is None
    assert Ack.model_validate({"keywords": ["承诺"], "commitment": "family"}).commitment == "family"
    assert Ack.model_validate({"keywords": ["承诺"], "commitment": "person"}).commitment == "person"
    with pytest.raises(ValidationError):
        Ack.model_validate({"keywords": ["承诺"], "commitment": "household"})


def test_a_reply_without_a_provider_id_is_keyed_by_number_text_and_minute() -> None:
    from datetime import UTC, datetime

    from reminder.delivery.inbound import repeat_key

    at = datetime(2027, 2, 1, 2, 0, 5, tzinfo=UTC)
    key = repeat_key("+8613800138000", "收到", at)
    assert key == repeat_key("+8613800138000", "收到", at + timedelta(seconds=50))
    assert key != repeat_key("+8613800138000", "收到", at + timedelta(seconds=60))
    assert key != repeat_key("+8613800138000", "收到 ", at)
    assert key != repeat_key("+8613800138001", "收到", at)
    assert "收到" not in key and "13800138000" not in key

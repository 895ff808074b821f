"""The fast percent-encoding says exactly what `urllib.parse.quote(…, safe="~")` says, and a form
body built with it decodes to the fields it was given."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, quote

import pytest

from reminder.delivery.gateways.percent import form_body, percent_encode

SAMPLES = [
    "",
    "plain",
    "A-Z_a.z~0-9",
    "a b+c&d=e/f?g#h%i*j'k(l)m!n",
    "【某某市纪委监委】张三同志：今天是春节廉洁提醒第3天。举报电话12388。",
    "+8613812345678",
    "emoji 🎉 and tab\tand newline\n",
    "\x00\x7f\u00e9\u20ac",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_the_same_as_urllib(text: str) -> None:
    assert percent_encode(text) == quote(text, safe="~", encoding="utf-8")


def test_the_same_as_urllib_on_random_text() -> None:
    draw = random.Random(20261126)
    alphabet = [chr(c) for c in range(0x20, 0x7F)] + list("，。：【】廉洁提醒🎉é€\n")
    for _ in range(2_000):
        text = "".join(draw.choice(alphabet) for _ in range(draw.randint(0, 40)))
        assert percent_encode(text) == quote(text, safe="~", encoding="utf-8")


def test_a_form_body_decodes_to_its_fields() -> None:
    fields = {
        "To": "+8613812345678",
        "From": "+15005550006",
        "Body": "【某某市纪委监委】请严守规定 & 不收礼金=廉洁",
        "MediaUrl": ["https://a.example/1.png", "https://a.example/2.png"],
        "Skipped": None,
        "Attempt": 2,
    }
    decoded = parse_qsl(form_body(fields).decode("ascii"), keep_blank_values=True)
    assert decoded == [
        ("To", "+8613812345678"),
        ("From", "+15005550006"),
        ("Body", "【某某市纪委监委】请严守规定 & 不收礼金=廉洁"),
        ("MediaUrl", "https://a.example/1.png"),
        ("MediaUrl", "https://a.example/2.png"),
        ("Attempt", "2"),
    ]

import random

import pytest

from reminder import phones
from reminder.phones import mask, mask_in_text, normalise, shown


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("010 6512 3456", "+861065123456"),
        ("+1 415 555 2671", "+14155552671"),
    ],
)
def test_normalise_to_e164(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "1381234567", "abc", "+86 000 0000 0000"])
def test_normalise_rejects_invalid_numbers(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise(raw)


def test_the_mainland_mobile_shortcut_agrees_with_phonenumbers() -> None:
    """The shortcut decides only what phonenumbers' full parse would decide the same way."""
    rng = random.Random(20261123)
    forms = [
        lambda d: d,
        lambda d: f"{d[:3]} {d[3:7]} {d[7:]}",
        lambda d: f"+86 {d[:3]}-{d[3:7]}-{d[7:]}",
        lambda d: f"0086{d}",
        lambda d: f"86{d}",
        lambda d: f"+8686{d[:9]}",
    ]
    decided = 0
    for _ in range(5000):
        digits = "1" + "".join(rng.choice("0123456789") for _ in range(10))
        raw = rng.choice(forms)(digits)
        for region in ("CN", "HK", "US"):
            fast = phones._mainland_mobile(raw, region)
            if fast is None:
                continue
            decided += 1
            assert fast == phones._parsed(raw, region), (raw, region)
    assert decided > 2000  # most real-looking mobiles take the shortcut


def test_mask_keeps_country_code_and_ends() -> None:
    assert mask("+8613812345678") == "+86 138****5678"
    assert mask("+14155552671") == "+1 415***2671"


def test_mask_in_text_masks_every_number() -> None:
    text = "to +8613812345678 and +8613987654321 failed"
    assert mask_in_text(text) == "to +86 138****5678 and +86 139****4321 failed"


def test_mask_in_text_masks_numbers_written_into_urls() -> None:
    text = "POST Request: https://api.twilio.com/Messages.json?To=%2B8613812345678&PageSize=50"
    assert mask_in_text(text).endswith("?To=+86 138****5678&PageSize=50")


def test_shown_unmasks_only_when_asked() -> None:
    assert shown("+8613812345678", show_numbers=False) == "+86 138****5678"
    assert shown("+8613812345678", show_numbers=True) == "+8613812345678"

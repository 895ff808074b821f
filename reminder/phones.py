"""Phone numbers: normalisation to E.164 and masking for anything a person reads."""

from __future__ import annotations

import re

import phonenumbers

#: A number in text, also as a URL writes it (`To=%2B86…` in a request line a library logs).
_E164_IN_TEXT = re.compile(r"(?:\+|%2[Bb])(\d{8,15})")


def normalise(raw: str, region: str = "CN") -> str:
    """Return `raw` as E.164 (`+8613812345678`); raise ValueError saying why it is not valid."""
    text = str(raw).strip()
    if not text:
        raise ValueError("phone number is empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{text!r} is not a phone number ({exc})") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid phone number for region {region}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """`+8613812345678` → `+86 138****5678`: the country code and the ends of the number."""
    try:
        number = phonenumbers.parse(e164, None)
        country = f"+{number.country_code}"
        national = phonenumbers.national_significant_number(number)
    except phonenumbers.NumberParseException:
        country, national = "", re.sub(r"\D", "", e164)
    if len(national) >= 8:
        hidden = national[:3] + "*" * (len(national) - 7) + national[-4:]
    else:
        hidden = national[:1] + "*" * max(len(national) - 3, 1) + national[-2:]
    return f"{country} {hidden}".strip()


def mask_in_text(text: str) -> str:
    """Mask every E.164 number found in free text (logs, provider error messages)."""
    return _E164_IN_TEXT.sub(lambda m: mask("+" + m.group(1)), text)


def shown(e164: str, *, show_numbers: bool) -> str:
    """The number as a person should see it: masked unless they asked for it in full."""
    return e164 if show_numbers else mask(e164)

"""Phone numbers: normalisation to E.164 and masking for anything a person reads."""

from __future__ import annotations

import re

import phonenumbers

from reminder.i18n import _

#: A number in text, also as a URL writes it (`To=%2B86…` in a request line a library logs).
_E164_IN_TEXT = re.compile(r"(?:\+|%2[Bb])(\d{8,15})")


def _cn_mobile_pattern() -> re.Pattern[str]:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    pattern = metadata.mobile.national_number_pattern if metadata and metadata.mobile else None
    assert pattern, "phonenumbers has no mainland mobile pattern"
    return re.compile(pattern)


#: Mainland mobile numbers as phonenumbers' own metadata describes them, and as people write
#: them: 11 digits, perhaps after +86 or 0086, perhaps spaced or hyphenated.
_CN_MOBILE = _cn_mobile_pattern()
_MOBILE_TEXT = re.compile(r"(\+86|0086)?(1\d{10})")
_SEPARATORS = str.maketrans("", "", " -")


def normalise(raw: str, region: str = "CN") -> str:
    """Return `raw` as E.164 (`+8613812345678`); raise ValueError saying why it is not valid."""
    text = str(raw).strip()
    if not text:
        raise ValueError(_("phone number is empty"))
    return _mainland_mobile(text, region) or _parsed(text, region)


def _mainland_mobile(text: str, region: str) -> str | None:
    """The E.164 form of a mainland mobile number, decided by phonenumbers' own mobile pattern
    without its full parse (~18 µs a number: most of loading a million contacts); None for
    anything else, which `_parsed` then decides."""
    match = _MOBILE_TEXT.fullmatch(text.translate(_SEPARATORS))
    if match is None:
        return None
    prefix, national = match.groups()
    if prefix != "+86" and region != "CN":
        return None
    if _CN_MOBILE.fullmatch(national) is None:
        return None
    return f"+86{national}"


def _parsed(text: str, region: str) -> str:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            _("{text!r} is not a phone number ({exc})").format(text=text, exc=exc)
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            _("{text!r} is not a valid phone number for region {region}").format(
                text=text, region=region
            )
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """`+8613812345678` → `+86 138****5678`: the country code and the ends of the number."""
    if len(e164) == 14 and e164.startswith("+861"):  # a mainland mobile: no parse (a report
        return f"+86 {e164[3:6]}****{e164[-4:]}"  # masks hundreds of thousands of them)
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


def mask_words(text: str) -> str:
    """What a person wrote, masked as numbers are: its first character and one `*` for each
    other one (at most 8), so a reader sees that something was written, not what."""
    words = text.strip()
    return words[:1] + "*" * min(len(words) - 1, 8) if words else ""


def shown(e164: str, *, show_numbers: bool) -> str:
    """The number as a person should see it: masked unless they asked for it in full."""
    return e164 if show_numbers else mask(e164)

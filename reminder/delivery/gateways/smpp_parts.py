"""What the `smpp` gateway must put together from what arrives on the bind.

- **Long messages from phones.** A reply longer than one part arrives as several deliver_sm,
  joined by a UDH concatenation header (8- or 16-bit reference) or by the sar_msg_ref_num,
  sar_total_segments and sar_segment_seqnum parameters; `aiosmpplib` reads both as the sar_*
  parameters. `MoParts` keeps the parts (each acknowledged as it arrives) until every one has
  come, in any order, and gives the whole text once.
- **Message ids written two ways.** SMPP 3.4 (appendix B) leaves the format of a receipt's
  `id:` to the SMSC, and carriers differ: some answer submit_sm with a hexadecimal message_id
  and write the receipt's id in decimal, others the reverse. `MessageIds` remembers the ids this
  process was given and reads a receipt's id either way; a receipt for a message another
  process sent carries the id's other forms (`id_forms`), which the sink tries only when the id
  as written matches no message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: The sar_* optional parameters (SMPP 3.4 section 5.3.2.22-24).
SAR_MSG_REF_NUM, SAR_TOTAL_SEGMENTS, SAR_SEGMENT_SEQNUM = 0x020C, 0x020E, 0x020F
#: How many unfinished long messages are kept; past that, the oldest is given up.
OPEN_MESSAGES_KEPT = 1000
#: How many message ids are remembered to read receipts by.
IDS_KEPT = 200_000
_HEX = re.compile(r"[0-9A-Fa-f]{1,16}")
_DECIMAL = re.compile(r"[0-9]{1,20}")

#: One long message: (sender, destination, reference, parts).
MessageKey = tuple[str, str, int, int]


def concatenation(params: Iterable[tuple[int, object]]) -> tuple[int, int, int] | None:
    """(reference, total, sequence) of a part of a long message, from its sar_* parameters;
    None for a message in one part."""
    values = {tag: value for tag, value in params if isinstance(value, int)}
    total = values.get(SAR_TOTAL_SEGMENTS, 0)
    seq = values.get(SAR_SEGMENT_SEQNUM, 0)
    if total <= 1 or not 1 <= seq <= total:
        return None
    ref = values.get(SAR_MSG_REF_NUM, 0)
    # aiosmpplib 0.7 reads a 16-bit UDH reference as four bytes: the reference, then total and
    # sequence. Its low half is then (total, sequence); the reference is the high half.
    if ref > 0xFFFF or ref == (total << 8 | seq):
        ref >>= 16
    return ref, total, seq


class MoParts:
    """Parts of long messages from phones, kept until the last one arrives (see the module)."""

    def __init__(self, kept: int = OPEN_MESSAGES_KEPT) -> None:
        self.kept = kept
        self._open: dict[MessageKey, dict[int, str]] = {}
        #: Long messages given up unfinished (the oldest, when too many were open).
        self.abandoned = 0

    def add(self, key: MessageKey, seq: int, text: str) -> str | None:
        """Keep one part; the whole text once every part of its message is here, else None."""
        parts = self._open.setdefault(key, {})
        parts[seq] = text
        if len(parts) < key[3]:
            if len(self._open) > self.kept:
                del self._open[next(iter(self._open))]
                self.abandoned += 1
            return None
        del self._open[key]
        return "".join(parts[number] for number in sorted(parts))


def _values(message_id: str) -> list[tuple[str, int]]:
    """The numbers `message_id` may stand for: ("hex", value) and/or ("dec", value)."""
    keys = []
    if _HEX.fullmatch(message_id):
        keys.append(("hex", int(message_id, 16)))
    if _DECIMAL.fullmatch(message_id):
        keys.append(("dec", int(message_id)))
    return keys


def id_forms(message_id: str) -> tuple[str, ...]:
    """The other ways an SMSC may write `message_id`: a hexadecimal id in decimal, a decimal
    one in hexadecimal (lower and upper case, bare and padded to 8 digits)."""
    forms: list[str] = []
    if _HEX.fullmatch(message_id):
        forms.append(str(int(message_id, 16)))
    if _DECIMAL.fullmatch(message_id):
        value = int(message_id)
        forms += [f"{value:x}", f"{value:X}", f"{value:08x}", f"{value:08X}"]
    return tuple(dict.fromkeys(form for form in forms if form != message_id))


class MessageIds:
    """The message ids submit_sm_resp gave this process (the most recent `kept`), by value."""

    def __init__(self, kept: int = IDS_KEPT) -> None:
        self.kept = kept
        self._ids: dict[str, None] = {}
        self._by_value: dict[tuple[str, int], str] = {}

    def remember(self, message_id: str) -> None:
        """Remember an id the SMSC gave."""
        self._ids[message_id] = None
        for key in _values(message_id):
            self._by_value[key] = message_id
        if len(self._ids) > self.kept:
            oldest = next(iter(self._ids))
            del self._ids[oldest]
            for key in _values(oldest):
                if self._by_value.get(key) == oldest:
                    del self._by_value[key]

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._ids

    def resolve(self, receipt_id: str) -> str | None:
        """The id the SMSC gave for the message a receipt calls `receipt_id` (as written, or
        read the other way: decimal for a hexadecimal id, or the reverse); None if unknown."""
        if receipt_id in self._ids:
            return receipt_id
        candidates = []
        if _DECIMAL.fullmatch(receipt_id):
            candidates.append(("hex", int(receipt_id)))
        if _HEX.fullmatch(receipt_id):
            candidates += [("dec", int(receipt_id, 16)), ("hex", int(receipt_id, 16))]
        if _DECIMAL.fullmatch(receipt_id):
            candidates.append(("dec", int(receipt_id)))
        return next((self._by_value[c] for c in candidates if c in self._by_value), None)

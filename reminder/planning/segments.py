"""Exact SMS segment counting (GSM-7 160/153 septets, UCS-2 70/67 code units)."""

from __future__ import annotations

import re
from typing import NamedTuple

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€\f")
_GSM7_ALL = _GSM7_BASIC | _GSM7_EXTENSION
_OUTSIDE_BASIC = re.compile("[^" + re.escape("".join(sorted(_GSM7_BASIC))) + "]")
_OUTSIDE_GSM7 = re.compile("[^" + re.escape("".join(sorted(_GSM7_ALL))) + "]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class SegmentCount(NamedTuple):
    """How a text travels: its encoding, its length in units, and the number of parts."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int


def _is_gsm7(text: str) -> bool:
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text)


def _split_count(unit_sizes: list[int], single: int, part: int) -> int:
    """Parts needed when units of the given sizes may not be split across parts."""
    if sum(unit_sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in unit_sizes:
        if used + size > part:
            parts += 1
            used = 0
        used += size
    return parts


def count_segments(text: str) -> SegmentCount:
    """The encoding and segment count a carrier will use for `text`.

    GSM-7 extension characters take two septets and are never split from their escape;
    characters outside the Basic Multilingual Plane take two UCS-2 units and are never split.
    """
    if not text:
        return SegmentCount("GSM-7", 0, 1)
    # The common fast paths, in C: plain GSM-7 without escapes; UCS-2 without astral characters.
    if _OUTSIDE_BASIC.search(text) is None:
        units = len(text)
        return SegmentCount("GSM-7", units, 1 if units <= 160 else -(-units // 153))
    if _ASTRAL.search(text) is None and _OUTSIDE_GSM7.search(text) is not None:
        units = len(text)
        return SegmentCount("UCS-2", units, 1 if units <= 70 else -(-units // 67))
    if _is_gsm7(text):
        sizes = [2 if ch in _GSM7_EXTENSION else 1 for ch in text]
        return SegmentCount("GSM-7", sum(sizes), _split_count(sizes, 160, 153))
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentCount("UCS-2", sum(sizes), _split_count(sizes, 70, 67))

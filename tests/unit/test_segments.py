import pytest

from reminder.planning.segments import count_segments


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),
        ("€" * 81, "GSM-7", 162, 2),
        # An escape pair may not straddle two parts: 152 plain + one € needs a second part.
        ("a" * 152 + "€" + "a" * 10, "GSM-7", 164, 2),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("廉" * 70, "UCS-2", 70, 1),
        ("廉" * 71, "UCS-2", 71, 2),
        ("廉" * 134, "UCS-2", 134, 2),
        ("廉" * 135, "UCS-2", 135, 3),
        ("a" * 69 + "廉", "UCS-2", 70, 1),
        # A character outside the BMP takes two units and is never split.
        ("廉" * 66 + "😀" + "廉" * 3, "UCS-2", 71, 2),
        ("廉" * 66 + "😀" + "廉" * 66, "UCS-2", 134, 3),
    ],
)
def test_segment_counts(text: str, encoding: str, units: int, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def _reference(text: str) -> tuple[str, int, int]:
    """Segment counting the slow, obvious way: one character at a time."""
    from reminder.planning.segments import _GSM7_BASIC, _GSM7_EXTENSION, _split_count

    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text):
        sizes = [2 if ch in _GSM7_EXTENSION else 1 for ch in text]
        return "GSM-7", sum(sizes), _split_count(sizes, 160, 153)
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return "UCS-2", sum(sizes), _split_count(sizes, 70, 67)


def test_fast_paths_agree_with_the_reference_on_random_texts() -> None:
    import random

    rng = random.Random(11)
    alphabets = ["abc XYZ 123.,", "abc€[]{}", "廉洁提醒，。【】", "abc廉洁😀", "€廉"]
    for _ in range(3000):
        alphabet = rng.choice(alphabets)
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
        count = count_segments(text)
        assert (count.encoding, count.units, count.segments) == _reference(text), text

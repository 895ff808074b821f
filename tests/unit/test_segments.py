import pytest

from reminder.segments import count_segments


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

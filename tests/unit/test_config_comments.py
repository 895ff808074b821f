"""The example config and the starter config speak Chinese: every comment that explains
something is written in Chinese (a commented-out setting, `# key: value`, is not prose)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FILES = [ROOT / "config.example.yaml", ROOT / "reminder" / "starter" / "config.yaml"]
CJK = re.compile(r"[\u4e00-\u9fff]")
SETTING = re.compile(r"^[\w.]+:\s*\S")


def prose_comments(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of each comment that is prose."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if "#" not in line:
            continue
        text = line.split("#", 1)[1].strip()
        if text and not SETTING.match(text):
            found.append((number, text))
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_explaining_comment_is_in_chinese(path: Path) -> None:
    english = [f"{path.name}:{n}: {t}" for n, t in prose_comments(path) if not CJK.search(t)]
    assert not english, "comments not in Chinese:\n" + "\n".join(english)

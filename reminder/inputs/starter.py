"""`reminder init`: a working starter folder for a user who installed the package only."""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

from openpyxl import load_workbook

from reminder.errors import UsageError, display_path
from reminder.i18n import _
from reminder.inputs.spreadsheets import write_template

SAMPLE_CONTACTS = [
    ["c001", "张建国", "13800138001", "正处级", "市财政局", "局长", "key_post", None, None],
    ["c002", "李红梅", "13800138002", "副处级", "市教育局", "副局长", None, None, None],
    ["c003", "王志强", "13800138003", "正科级", "市财政局", "科长", None, None, None],
    ["f001", "赵丽华", "13900139001", None, None, None, None, "c001", "spouse"],
]


def create_starter(target: Path, force: bool = False) -> list[Path]:
    """Write config, campaign, templates, cases and a contacts workbook into `target`."""
    if target.exists() and any(target.iterdir()) and not force:
        raise UsageError(
            _("{target} is not empty; pass --force to write into it").format(
                target=display_path(target)
            )
        )
    written = []
    with as_file(files("reminder") / "starter") as source:
        for path in sorted(Path(source).rglob("*")):
            if path.is_dir() or path.name == ".keep" or "__pycache__" in path.parts:
                continue
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            written.append(destination)
    workbook_path = target / "contacts" / "contacts.xlsx"
    write_template(workbook_path)
    book = load_workbook(workbook_path)
    sheet = book.active
    assert sheet is not None
    for row in SAMPLE_CONTACTS:
        sheet.append(row)
    book.save(workbook_path)
    written.append(workbook_path)
    return written

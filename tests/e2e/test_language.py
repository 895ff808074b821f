"""The interface speaks the config's language: the README's quickstart command prints Chinese
with the example config (`language: zh-CN`) and English with `language: en`; bad input is
reported in Chinese, located by file and line; `--help` follows `REMINDER_LANGUAGE` or the
config's language."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.e2e.test_cli_subprocess import copy_sample


def quickstart_command() -> list[str]:
    """The `reminder …` command of the README's first command block (after the install)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert block is not None, "README has no bash block"
    first = block.group(1).splitlines()[0]
    command = first.split("&&")[-1].strip()
    assert command.startswith("reminder "), command
    return shlex.split(command)[1:]


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`reminder *args` in a fresh process, English locale unless `env` says otherwise."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "TWILIO_"))}
    clean.update({"LANG": "C.UTF-8", **env})
    clean.pop("LC_ALL", None)
    clean.pop("LC_MESSAGES", None)
    return subprocess.run(
        [sys.executable, "-m", "reminder", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def with_example_config(tmp_path: Path, language: str | None = None) -> Path:
    root = copy_sample(tmp_path)
    text = (REPO / "config.example.yaml").read_text(encoding="utf-8")
    assert "\nlanguage: zh-CN\n" in text, "the example config speaks Chinese"
    if language is not None:
        text = text.replace("\nlanguage: zh-CN\n", f"\nlanguage: {language}\n")
    (root / "config.yaml").write_text(text, encoding="utf-8")
    return root


def test_the_quickstart_prints_chinese_with_the_example_config(tmp_path: Path) -> None:
    root = with_example_config(tmp_path)
    done = run(root, *quickstart_command())
    assert done.returncode == 0, done.stderr
    assert "spring-festival/daily-leading 2027-01-30：新生成 36 条，已生成 0 条" in done.stdout
    assert "已发送 36，发送失败 0，结果未知 0，已跳过 0" in done.stdout
    assert "发往 +86 1" in done.stdout  # the console gateway's header, number masked
    assert "planned" not in done.stdout and "sent 36" not in done.stdout
    again = run(root, *quickstart_command())
    assert "没有新的短信需要发送：本推送日已生成并发送过" in again.stdout


def test_the_quickstart_prints_english_with_language_en(tmp_path: Path) -> None:
    root = with_example_config(tmp_path, "en")
    done = run(root, *quickstart_command(), LANG="zh_CN.UTF-8")
    assert done.returncode == 0, done.stderr
    assert "spring-festival/daily-leading 2027-01-30: planned 36 new, 0 already planned" in (
        done.stdout
    )
    assert "sent 36, failed 0, unknown 0, skipped 0" in done.stdout
    assert not re.search(r"[\u4e00-\u9fff]", done.stderr)
    lines = [line for line in done.stdout.splitlines() if not line.startswith("    ")]
    chinese = [line for line in lines if re.search(r"[\u4e00-\u9fff]", line)]
    assert not chinese, chinese  # only the message bodies (indented) are Chinese


def test_a_malformed_campaign_is_reported_in_chinese(tmp_path: Path) -> None:
    root = with_example_config(tmp_path)
    (root / "campaigns" / "broken.yaml").write_text(
        "id: broken\nname: 有误的活动\nfestival: spring_festivl\nwindow:\n  start: -3d\n"
        "  end: +2d\npushes:\n  - id: daily\n    audience: [leading_cadres]\n"
        "    template: spring_daily.j2\n    send_at: '08:30'\n    colour: red\n",
        encoding="utf-8",
    )
    (root / "campaigns" / "unreadable.yaml").write_text(
        "id: unreadable\npushes: [\n", encoding="utf-8"
    )
    done = run(root, "validate")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    errors = done.stderr
    assert "campaigns/broken.yaml:3: festival: 应为 " in errors
    assert "campaigns/broken.yaml:12: pushes.0.colour: 无法识别的字段" in errors
    assert re.search(r"campaigns/unreadable\.yaml:\d+: YAML 格式错误", errors)
    assert re.search(r"\n发现 \d+ 个问题；未发送任何短信\n$", errors)


def test_help_follows_the_language_setting(tmp_path: Path) -> None:
    english = run(tmp_path, "send", "--help")
    assert "Plan the occurrence of DATE" in english.stdout and "Usage:" in english.stdout
    chinese = run(tmp_path, "send", "--help", REMINDER_LANGUAGE="zh-CN")
    assert "为 DATE 当天的推送日生成待发短信并发送" in chinese.stdout
    assert "用法：" in chinese.stdout and "显示本帮助并退出。" in chinese.stdout
    listing = run(tmp_path, "--help", LANG="zh_CN.UTF-8")
    assert "命令" in listing.stdout and "免打扰名单：不得发送短信的号码。" in listing.stdout
    root = with_example_config(tmp_path)
    shutil.copy(root / "config.yaml", tmp_path / "config.yaml")
    from_config = run(tmp_path, "report", "--help")
    assert "输出格式。" in from_config.stdout

"""Usage errors through the console script's entry point (`reminder.cli.app.main`): said in the
config's language (Click's own English is not shown), exit code 2, and under `--json` one JSON
object on standard output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reminder.cli.app import main


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr("sys.argv", ["reminder", *argv])
    with pytest.raises(SystemExit) as exit_:
        main()
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


@pytest.fixture
def chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "config.yaml").write_text("language: zh-CN\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["send", "--bogus"], "错误：没有这个选项：--bogus （是否要用 --push？）"),
        (["report"], "错误：缺少参数 'campaign'"),
        (["report", "x", "--format", "pdf"], "错误：'--format' 的值无效：pdf 不是可选值之一："),
        (["send", "x", "extra"], "错误：多余的参数：extra"),
        (["nosuch"], "错误：没有这个命令：nosuch"),
        (["replies", "--limit", "abc"], "错误：'--limit' 的值无效：应为整数"),
        (["replies", "--limit", "0"], "错误：'--limit' 的值无效：不能小于 1"),
    ],
)
def test_usage_errors_in_the_configs_language(
    chinese: Path,
    argv: list[str],
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _out, err = run(argv, monkeypatch, capsys)
    assert code == 2
    assert said in err
    assert "用法：reminder" in err and "查看帮助" in err
    assert "Error" not in err and "Usage" not in err and "Try" not in err


def test_usage_errors_in_english_without_a_chinese_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = run(["send", "--bogus"], monkeypatch, capsys)
    assert code == 2
    assert "Error: no such option: --bogus (did you mean --push?)" in err
    assert "Try 'reminder send --help' for help." in err


def test_a_usage_error_under_json_is_a_json_object(
    chinese: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(["log", "--json", "--bogus"], monkeypatch, capsys)
    assert code == 2
    assert json.loads(out) == {"error": "没有这个选项：--bogus", "exit_code": 2}


def test_help_marks_required_arguments_in_chinese(
    chinese: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(["send", "--help"], monkeypatch, capsys)
    assert code == 0
    assert "[必填]" in out and "[required]" not in out

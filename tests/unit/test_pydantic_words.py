"""Pydantic's messages a person meets in a config or campaign file are said in our words and
catalogs: every key of the table is a real pydantic error type, and they read in Chinese."""

from __future__ import annotations

from typing import get_args

from pydantic_core.core_schema import ErrorType

from reminder.i18n import use_language
from reminder.inputs.yaml_source import PYDANTIC_MESSAGES, _clean_message


def test_every_translated_error_type_is_one_pydantic_raises() -> None:
    assert set(PYDANTIC_MESSAGES) <= set(get_args(ErrorType))


def test_messages_read_in_chinese_with_their_values() -> None:
    use_language("zh-CN")
    try:
        error = {"type": "string_too_long", "ctx": {"max_length": 70}, "msg": "String should …"}
        assert _clean_message(error) == "过长：最多 70 个字符"
        error = {"type": "url_parsing", "ctx": {"error": "x"}, "msg": "Input should be a URL"}
        assert _clean_message(error) == "应为网址（https://…）"
    finally:
        use_language("en")

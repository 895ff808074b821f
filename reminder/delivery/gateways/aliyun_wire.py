"""Aliyun's wire formats that are not requests: numbers as Aliyun writes them, template texts
filled as Aliyun fills them, its times, the SmsReport and SmsUp pushes; and the gateway's
settings, checked against the registered template texts."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr, field_validator, model_validator

from reminder.delivery.gateways.base import (
    Inbound,
    OutgoingMessage,
    Receipt,
    TemplateCodeSettings,
    http_url,
)
from reminder.i18n import _

ALIYUN_API = "https://dysmsapi.aliyuncs.com"
#: Aliyun stamps its records (SendDate, send_time) in China Standard Time.
CHINA = ZoneInfo("Asia/Shanghai")
#: QuerySendDetails' SendStatus as our words: 1 waiting for the receipt, 2 failed, 3 delivered.
SEND_STATUS = {"1": "waiting", "2": "failed", "3": "delivered"}
#: A variable of a registered template text: `${name}`.
PARAM = re.compile(r"\$\{(\w+)\}")


def aliyun_number(e164: str) -> str:
    """A number as Aliyun writes it: 11 digits in mainland China, else country code + number."""
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


def fill(text: str, params: dict[str, str]) -> str:
    """Aliyun's template text with each `${param}` replaced by its value."""
    return PARAM.sub(lambda m: params.get(m.group(1), m.group(0)), text)


def receipts_of(body: bytes) -> list[Receipt]:
    """An SmsReport push's receipts, named `out_id:phone_number` as the gateway names them."""
    receipts = []
    for item in json_array(body, "SmsReport"):
        try:
            number = str(item["phone_number"])
            success = item["success"]
        except KeyError as exc:
            raise ValueError(f"an SmsReport item needs {exc}") from None
        out_id = item.get("out_id") or item.get("biz_id") or ""
        word = "delivered" if success is True or success == "true" else "failed"
        code = None if word == "delivered" else (item.get("err_code") or None)
        receipts.append(Receipt(f"{out_id}:{number}", word, code, item.get("err_msg")))
    return receipts


def inbound_of(body: bytes) -> list[Inbound]:
    """An SmsUp push's messages: {phone_number, content, sequence_id, …}."""
    found = []
    for item in json_array(body, "SmsUp"):
        if not item.get("phone_number"):
            raise ValueError("an SmsUp item needs phone_number")
        sequence = item.get("sequence_id")
        found.append(
            Inbound(
                str(item["phone_number"]),
                str(item.get("content", "")),
                str(sequence) if sequence is not None else None,
            )
        )
    return found


def distinct_numbers(
    group: list[tuple[int, dict[str, str]]], messages: Sequence[OutgoingMessage]
) -> list[list[tuple[int, dict[str, str]]]]:
    """`group` split so that no request carries a number twice (its id would not be unique)."""
    chunks: list[list[tuple[int, dict[str, str]]]] = []
    numbers: list[set[str]] = []
    for item in group:
        number = messages[item[0]].to
        for chunk, seen in zip(chunks, numbers, strict=True):
            if number not in seen:
                chunk.append(item)
                seen.add(number)
                break
        else:
            chunks.append([item])
            numbers.append({number})
    return chunks


def to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_array(body: bytes, what: str) -> list[dict[str, Any]]:
    try:
        items = json.loads(body)
    except ValueError:
        raise ValueError(f"a {what} push is a JSON array") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"a {what} push is a JSON array of objects")
    return items


def china_time(value: object) -> datetime | None:
    """Aliyun's "2017-05-25 00:00:00" (China time) as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        return None


class AliyunSettings(TemplateCodeSettings):
    """Settings of the Aliyun gateway; the AccessKey pair and the callback token come from
    environment variables."""

    access_key_id: SecretStr
    access_key_secret: SecretStr
    endpoint: str = ALIYUN_API
    region: str = "cn-hangzhou"
    #: The token the SmsReport/SmsUp push URLs carry (`?token=`); no token: pushes are refused.
    callback_token: SecretStr | None = None
    #: How many days back `sync` looks for a message's status (QuerySendDetails asks per day).
    poll_days: int = 3

    @field_validator("endpoint")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    @model_validator(mode="after")
    def _placeholders(self) -> AliyunSettings:
        for name, template in self.templates.items():
            used = set(PARAM.findall(template.text))
            if used != set(template.params):
                raise ValueError(
                    _(
                        "templates.{name}: the text's variables {used} and params {params} "
                        "differ (Aliyun takes exactly the ${{…}} of the registered text)"
                    ).format(name=name, used=sorted(used), params=sorted(template.params))
                )
        return self

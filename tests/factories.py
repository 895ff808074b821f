"""Factories for test projects: small, explicit files written to a temporary folder."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from reminder.store import NewMessage

SIGNATURE = "【测试纪委】"
#: 10:00 in Shanghai on 1 February 2027, inside the test campaigns' windows and outside the
#: quiet hours: the time to pin commands at (`cli.at(DAYTIME)`) when a test is not about time.
DAYTIME = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)


def planned(i: int, day: date, body: str = "【测试】提醒", phone: str | None = None) -> NewMessage:
    """Message `i` of a one-segment daily push of campaign `spring`, to contact `c{i:03d}`."""
    return NewMessage(
        "spring",
        "daily",
        day,
        f"c{i:03d}",
        phone or f"+86138001{i:05d}",
        body,
        1,
        "UCS-2",
        "daily.j2",
        {},
        None,
    )


def cadre(number: int, rank: str = "division", **fields: Any) -> dict[str, Any]:
    """A cadre with a valid, unique mobile number."""
    return {
        "id": f"c{number:03d}",
        "name": f"干部{number}",
        "phone": f"1380013{number:04d}",
        "rank": rank,
        "unit": fields.pop("unit", "市财政局"),
        "post": fields.pop("post", "处长"),
        **fields,
    }


def spouse(number: int, of: int, relation: str = "spouse") -> dict[str, Any]:
    """A family member of cadre `of`."""
    return {
        "id": f"f{number:03d}",
        "name": f"家属{number}",
        "phone": f"1390013{number:04d}",
        "family_of": f"c{of:03d}",
        "relation": relation,
    }


def case(number: int, *tags: str) -> dict[str, Any]:
    """A short case summary."""
    return {
        "id": f"k{number:02d}",
        "title": f"案例{number}",
        "summary": f"某单位干部违规收受礼金案例{number}。",
        "year": 2024,
        "tags": list(tags) or ["festival"],
    }


def push(push_id: str = "daily", **fields: Any) -> dict[str, Any]:
    """A push to the group `everyone` with the template `daily.j2`."""
    return {
        "id": push_id,
        "audience": fields.pop("audience", ["everyone"]),
        "template": fields.pop("template", "daily.j2"),
        "send_at": fields.pop("send_at", "08:30"),
        **fields,
    }


class ProjectFiles:
    """A project folder: `write()` lays down config, contacts, groups, cases, a campaign, templates.

    Every part has a small valid default; pass a value to replace one part.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def config_path(self) -> Path:
        return self.root / "config.yaml"

    @property
    def database(self) -> Path:
        return self.root / "reminder.db"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox.jsonl"

    def write(
        self,
        *,
        contacts: list[dict[str, Any]] | None = None,
        groups: dict[str, Any] | None = None,
        cases: list[dict[str, Any]] | None = None,
        campaign: dict[str, Any] | None = None,
        templates: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
    ) -> ProjectFiles:
        for folder in ("campaigns", "templates", "contacts", "cases"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        settings: dict[str, Any] = {
            "signature": SIGNATURE,
            "database_url": "sqlite:///reminder.db",
            "gateway": "file",
            "gateways": {"file": {"path": "outbox.jsonl"}},
        }
        settings.update(config or {})
        self.dump("config.yaml", settings)
        people = contacts if contacts is not None else [cadre(1), cadre(2), spouse(1, of=1)]
        self.dump("contacts/people.yaml", {"contacts": people})
        self.dump(
            "contacts/groups.yaml",
            {
                "groups": groups
                or {
                    "everyone": {"union": ["cadres", "families"]},
                    "cadres": {"rank": ">= clerk"},
                    "families": {"family_of": "cadres"},
                }
            },
        )
        self.dump(
            "cases/cases.yaml",
            {"cases": cases if cases is not None else [case(i) for i in range(1, 6)]},
        )
        self.dump(
            "campaigns/test.yaml",
            campaign
            or {
                "id": "test",
                "name": "测试活动",
                "festival": "spring_festival",
                "window": {"start": "2027-01-30", "end": "2027-02-20"},
                "pushes": [push(cases="all")],
            },
        )
        for name, body in (
            templates
            or {
                "daily.j2": "{{ contact.name }}：第{{ day }}天。"
                "{% if case is defined %}{{ case.title }}{% endif %}",
            }
        ).items():
            (self.root / "templates" / name).write_text(body, encoding="utf-8")
        return self

    def dump(self, relative: str, data: Any) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    def text(self, relative: str, body: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        return path


def twilio_config(
    base_url: str, *, account_sid: str = "AC" + "a" * 32, delivery: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Config settings selecting the twilio gateway at `base_url`; the token is read from
    `$TWILIO_AUTH_TOKEN`, which the test sets. Unthrottled unless `delivery` says otherwise
    (Twilio's own default is one segment a second)."""
    settings: dict[str, Any] = {
        "account_sid": account_sid,
        "auth_token": "${TWILIO_AUTH_TOKEN}",
        "from_number": "+15005550006",
        "base_url": base_url,
    }
    settings["delivery"] = {"segments_per_second": None, **(delivery or {})}
    # Approval, on by default for real phones, is what tests/integration/test_approval.py is
    # about; these tests are about sending.
    return {"gateway": "twilio", "gateways": {"twilio": settings}, "approval": {"required": False}}

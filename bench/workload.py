"""Synthetic projects for benchmarks: N cadres, one daily push, 17 cases, SQLite store."""

from __future__ import annotations

import random
from pathlib import Path

TEMPLATE = (
    "{{ contact.name }}同志：今天是{{ festival.name }}廉洁提醒第{{ day }}天。"
    "请严守中央八项规定精神，不收送礼品礼金，不违规吃喝。"
    "【案例警示】{{ case.title }}：{{ case.summary }}举报电话{{ hotline }}。"
)


def phone(i: int) -> str:
    """A valid, unique mainland mobile number."""
    return f"138{i:08d}"


def write_project(root: Path, contacts: int, gateway_yaml: str = "gateway: console\n") -> Path:
    """Write config, contacts (CSV), groups, cases, one campaign and its template."""
    for folder in ("campaigns", "templates", "contacts", "cases"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(
        "database_url: sqlite:///bench.db\nper_number_cap: null\n" + gateway_yaml, encoding="utf-8"
    )
    rng = random.Random(7)
    ranks = ["division", "deputy_division", "bureau", "deputy_bureau"]
    with (root / "contacts" / "cadres.csv").open("w", encoding="utf-8") as handle:
        handle.write("id,name,phone,rank,unit,post\n")
        for i in range(contacts):
            handle.write(f"c{i:07d},干部{i},{phone(i)},{rng.choice(ranks)},单位{i % 50},处长\n")
    (root / "contacts" / "groups.yaml").write_text(
        "groups:\n  everyone:\n    rank: '>= clerk'\n", encoding="utf-8"
    )
    cases = "\n".join(
        f"  - {{id: k{i:02d}, title: 案例{i}, summary: 某单位干部违规收受礼金案例{i}。, "
        "year: 2024}"
        for i in range(17)
    )
    (root / "cases" / "cases.yaml").write_text(f"cases:\n{cases}\n", encoding="utf-8")
    (root / "templates" / "daily.j2").write_text(TEMPLATE, encoding="utf-8")
    (root / "campaigns" / "bench.yaml").write_text(
        "id: bench\nname: 基准测试\nfestival: spring_festival\n"
        "window: {start: 2027-01-30, end: 2027-02-20}\n"
        "pushes:\n  - {id: daily, audience: [everyone], template: daily.j2, cases: all, "
        "send_at: '08:30'}\n",
        encoding="utf-8",
    )
    return root / "config.yaml"
